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
  cutInboxPage,
  emptyInbox,
  INBOX_PAGE_CHARS,
  type InboxCursor,
  type InboxState,
  indexedRequestOf,
  pruneTombstones,
  sessionRevision,
} from "./inbox.ts";
import {
  importLegacyInbox,
  loadInbox,
  migrateInbox,
  readInboxRequests,
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
        // Each row holds the request whose entry the index has (none lost by a failed save).
        const rows = await readInboxRequests(access, "*", undefined, 1_000);
        expect(
          Object.fromEntries(rows.map((r) => [`${r.sessionId}/${r.permissionId}`, r])),
        ).toEqual(state.pending);
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

describe("pages of the inbox, read from the rows", () => {
  const order = (a: PermissionRequest, b: PermissionRequest) =>
    a.createdAt - b.createdAt ||
    (`${a.sessionId}/${a.permissionId}` < `${b.sessionId}/${b.permissionId}` ? -1 : 1);
  async function fill(count: number, size = 0) {
    const { access } = sqlite();
    await migrateInbox(access);
    const state = emptyInbox();
    for (let i = 0; i < count; i++) {
      const r = {
        ...request(`s${i % 7}`, `p${i}`, i % 13),
        input: { x: "y".repeat(size) },
      } as PermissionRequest;
      applyInboxChange(
        state,
        { kind: "pending", sessionId: r.sessionId, permissionId: r.permissionId, request: r },
        1,
      );
    }
    await save(access, state);
    return { access, state };
  }
  const page = async (
    access: RawAccess,
    sessions: "*" | string[],
    after: InboxCursor | undefined,
    limit: number,
  ) => cutInboxPage(await readInboxRequests(access, sessions, after, limit + 1), limit);
  const cursor = (next: string): InboxCursor => {
    const split = next.indexOf(":");
    return { createdAt: Number(next.slice(0, split)), key: next.slice(split + 1) };
  };
  async function all(access: RawAccess, limit: number, sessions: "*" | string[] = "*") {
    const pages: PermissionRequest[][] = [];
    let after: InboxCursor | undefined;
    do {
      const next = await page(access, sessions, after, limit);
      pages.push(next.requests);
      after = next.next === null ? undefined : cursor(next.next);
    } while (after !== undefined);
    return pages;
  }

  test("pages deliver every visible request once, whole, oldest first", async () => {
    const { access, state } = await fill(1_003, 3);
    const pages = await all(access, 100);
    expect(pages.map((p) => p.length)).toEqual([...Array(10).fill(100), 3]);
    const flat = pages.flat();
    expect(new Set(flat.map((r) => r.permissionId)).size).toBe(1_003);
    expect(flat).toEqual([...flat].sort(order));
    expect(flat.every((r) => (r.input as { x: string }).x === "yyy")).toBe(true);
    const onlyS1 = (await all(access, 50, ["s1"])).flat();
    expect(onlyS1.map(indexedRequestOf)).toEqual(
      Object.values(state.pending)
        .filter((r) => r.sessionId === "s1")
        .sort((a, b) => order(a as PermissionRequest, b as PermissionRequest)),
    );
  });

  test("a page stays within the transport's size, with one request at least", async () => {
    const { access } = await fill(40, 100_000);
    const pages = await all(access, 500);
    for (const p of pages) {
      expect(p.length).toBeGreaterThanOrEqual(1);
      if (p.length > 1)
        expect(JSON.stringify(p).length).toBeLessThanOrEqual(INBOX_PAGE_CHARS + p.length);
    }
    expect(pages.flat().length).toBe(40);
  });

  test("requests settled or opened between pages do not shift the cursor", async () => {
    const { access, state } = await fill(300);
    const first = await page(access, "*", undefined, 100);
    // Settle some already delivered and some not yet, then page on.
    for (const r of [...first.requests.slice(0, 10), ...Object.values(state.pending).slice(250)])
      applyInboxChange(
        state,
        { kind: "resolved", sessionId: r.sessionId, permissionId: r.permissionId },
        2,
      );
    await save(access, state);
    const rest: PermissionRequest[] = [];
    let after = first.next === null ? undefined : cursor(first.next);
    while (after !== undefined) {
      const next = await page(access, "*", after, 100);
      rest.push(...next.requests);
      after = next.next === null ? undefined : cursor(next.next);
    }
    const seen = new Set(first.requests.map((r) => r.permissionId));
    const expected = Object.values(state.pending).filter((r) => !seen.has(r.permissionId));
    expect(rest.map((r) => r.permissionId).sort()).toEqual(
      expected.map((r) => r.permissionId).sort(),
    );
  });

  test("the old table's rows move to the new one on migration, once", async () => {
    const { access } = sqlite();
    await access.execute(
      "CREATE TABLE inbox_pending (key TEXT PRIMARY KEY, request TEXT NOT NULL) WITHOUT ROWID",
    );
    const old = { ...request("s1", "p1", 7), input: { command: "ls" } } as PermissionRequest;
    await access.execute(
      "INSERT INTO inbox_pending (key, request) VALUES (?, ?)",
      "s1/p1",
      JSON.stringify(old),
    );
    await migrateInbox(access);
    await migrateInbox(access);
    expect((await loadInbox(access)).pending).toEqual({ "s1/p1": indexedRequestOf(old) });
    expect(await readInboxRequests(access, "*", undefined, 10)).toEqual([old]);
  });
});
