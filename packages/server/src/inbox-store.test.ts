// The inbox's rows against a real SQLite (Node's node:sqlite, the engine's SQLite dialect): after
// any run of reports, syncs, reconciliations and pruning, with saves at any point and some saves
// failing (rolled back), the rows read back are the inbox in memory once a save succeeds.
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import type { RawAccess } from "rivetkit/db";
import { describe, expect, test } from "vitest";
import {
  applyInboxChange,
  applyInboxSync,
  applyReconciliation,
  emptyInbox,
  type InboxState,
  pruneTombstones,
  sessionRevision,
} from "./inbox.ts";
import {
  importLegacyInbox,
  loadInbox,
  migrateInbox,
  restoreInboxWrites,
  takeInboxWrites,
  writeInbox,
} from "./inbox-store.ts";
import type { PermissionRequest } from "./types.ts";

/** A RawAccess over an in-memory SQLite database; `failWrites` makes every write throw. */
function sqlite() {
  const database = new DatabaseSync(":memory:");
  const control = { failWrites: false, statements: 0 };
  const access: RawAccess = {
    execute: async (sql: string, ...args: unknown[]) => {
      control.statements += 1;
      if (control.failWrites && !sql.startsWith("SELECT")) throw new Error("write failed");
      return database.prepare(sql).all(...(args as never[])) as never;
    },
    transaction: async (callback) => {
      database.exec("BEGIN");
      try {
        const result = await callback(access);
        database.exec("COMMIT");
        return result;
      } catch (error) {
        database.exec("ROLLBACK");
        throw error;
      }
    },
    close: async () => database.close(),
  };
  return { access, control };
}

async function save(db: RawAccess, state: InboxState) {
  const writes = takeInboxWrites(state);
  try {
    await db.transaction((tx) => writeInbox(tx, writes));
  } catch (error) {
    restoreInboxWrites(state, writes);
    throw error;
  }
}

const request = (sessionId: string, permissionId: string, createdAt = 0) =>
  ({
    sessionId,
    permissionId,
    requestId: `r-${permissionId}`,
    createdAt,
    expiresAt: createdAt + 10_000,
  }) as PermissionRequest;

const durable = (state: InboxState) => ({
  pending: state.pending,
  sessions: state.sessions,
  resolved: state.resolved,
});

type Op =
  | { kind: "pending" | "resolved"; session: number; id: number }
  | { kind: "sync" | "reconcile"; session: number; ids: number[] }
  | { kind: "prune" }
  | { kind: "save"; fails: boolean };

const session = fc.integer({ min: 0, max: 2 });
const id = fc.integer({ min: 0, max: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom("pending" as const, "resolved" as const), session, id }),
  fc.record({
    kind: fc.constantFrom("sync" as const, "reconcile" as const),
    session,
    ids: fc.uniqueArray(id, { maxLength: 4 }),
  }),
  fc.constant({ kind: "prune" as const }),
  fc.record({ kind: fc.constant("save" as const), fails: fc.boolean() }),
);

describe("the inbox's rows", () => {
  test("read back after a successful save, they are the inbox in memory", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const { access, control } = sqlite();
        await migrateInbox(access);
        const state = emptyInbox();
        let now = 0;
        for (const step of ops) {
          now += 1_000_000;
          const sessionId = `s${"session" in step ? step.session : 0}`;
          switch (step.kind) {
            case "pending":
            case "resolved":
              applyInboxChange(
                state,
                {
                  kind: step.kind,
                  sessionId,
                  permissionId: `p${step.id}`,
                  ...(step.kind === "pending"
                    ? { request: request(sessionId, `p${step.id}`, now) }
                    : {}),
                },
                now,
              );
              break;
            case "sync":
            case "reconcile": {
              const pending = step.ids.map((n) => request(sessionId, `p${n}`, now));
              if (step.kind === "sync") applyInboxSync(state, sessionId, pending, now);
              else
                applyReconciliation(
                  state,
                  sessionId,
                  pending,
                  sessionRevision(state, sessionId),
                  now,
                );
              break;
            }
            case "prune":
              // Far enough ahead that tombstones older than an hour go.
              pruneTombstones(state, now + 3_000_000);
              break;
            case "save":
              control.failWrites = step.fails;
              await save(access, state).catch(() => undefined);
              control.failWrites = false;
              break;
          }
        }
        await save(access, state);
        expect(durable(await loadInbox(access))).toEqual(durable(state));
      }),
      { numRuns: 200 },
    );
  });

  test("a save writes the rows one report changed, not the whole inbox", async () => {
    const { access, control } = sqlite();
    await migrateInbox(access);
    const state = emptyInbox();
    for (let n = 0; n < 2_000; n += 1) {
      const sessionId = `s${n % 200}`;
      applyInboxChange(
        state,
        { kind: "pending", sessionId, permissionId: `p${n}`, request: request(sessionId, `p${n}`) },
        1,
      );
    }
    await save(access, state);
    applyInboxChange(state, { kind: "resolved", sessionId: "s7", permissionId: "p7" }, 2);
    const writes = takeInboxWrites(state);
    expect(writes).toEqual({
      pending: [["s7/p7", null]],
      sessions: [["s7", 2]],
      resolved: [["s7/p7", 2]],
    });
    control.statements = 0;
    await access.transaction((tx) => writeInbox(tx, writes));
    expect(control.statements).toBe(3);
    expect(Object.keys((await loadInbox(access)).pending)).toHaveLength(1_999);
  });

  test("the state's old inbox is imported once: a second import changes nothing", async () => {
    const { access } = sqlite();
    await migrateInbox(access);
    const legacy = {
      pending: { "s1/p1": request("s1", "p1"), "s1/p2": request("s1", "p2") },
      sessions: { s1: 5 },
      resolved: { "s1/p0": 4 },
      revisions: { s1: 3 },
    };
    await importLegacyInbox(access, legacy);
    const imported = await loadInbox(access);
    expect(durable(imported)).toEqual({
      pending: legacy.pending,
      sessions: legacy.sessions,
      resolved: legacy.resolved,
    });
    // A report settles p1; then a wake finds the old state again (its save had not landed).
    applyInboxChange(imported, { kind: "resolved", sessionId: "s1", permissionId: "p1" }, 6);
    await save(access, imported);
    await importLegacyInbox(access, legacy);
    expect(Object.keys((await loadInbox(access)).pending)).toEqual(["s1/p2"]);
  });
});
