// The project inbox's rows in its SQLite database, with real server processes on one engine
// (runner.ts, and runner.ts with WARDEN_RUNNER_INSPECT=1 to read or rewrite a project's storage
// with none of Warden's code running): what a report was acknowledged for is in the rows
// when the runner is SIGKILLed right after; a project that holds its inbox in its state, as
// before the rows, wakes with every pending request, session and tombstone.
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import type { PermissionRequest, WardenRegistry } from "../src/index.ts";
import type { InboxPage } from "../src/project.ts";
import { allocateEngine, type EngineSlot, stopEngine } from "./engine-harness.ts";
import { fakeRequest, pendingChange } from "./fixtures/inbox-requests.ts";
import { deliver, type Runner, retry, startRunner, stopRunner } from "./fixtures/processes.ts";

const INSPECTOR = { WARDEN_RUNNER_INSPECT: "1" };
const PROJECT = "p1";
const RECOVERY_MS = 120_000;
const POLL = { timeout: 60_000, interval: 200 };

let slot: EngineSlot;
let runner: Runner | undefined;
let client: ReturnType<typeof createClient<WardenRegistry>>;

beforeAll(async () => {
  slot = await allocateEngine();
  client = createClient<WardenRegistry>(slot.endpoint);
});

afterAll(async () => {
  if (runner) await stopRunner(runner, "SIGKILL");
  await client?.dispose();
  if (slot) await stopEngine(slot);
}, 30_000);

const session = (token: string, sessionId: string) =>
  client.permissionSession.getOrCreate([PROJECT, sessionId], { params: { token } });
const project = (token: string) =>
  client.wardenProject.getOrCreate([PROJECT], { params: { token } });
const internalToken = () => `durability-internal-${slot.port}`;

/** The project actor as the inspector serves it. */
const inspect = (projectId: string) =>
  (
    client as unknown as {
      wardenProject: {
        getOrCreate(key: string[]): {
          listInboxRows(): Promise<string[]>;
          seedLegacyInbox(legacy: object): Promise<string[]>;
        };
      };
    }
  ).wardenProject.getOrCreate([projectId]);

test("every request of an acknowledged report is in the rows when the runner is SIGKILLed right after", async () => {
  runner = await startRunner(slot);
  const system = client.wardenProject.getOrCreate(["p-crash"], {
    params: { token: internalToken() },
  });
  // Twenty sessions report at once (they share writes), ten requests each; then five settle one.
  const sessions = Array.from({ length: 20 }, (_, n) => `crash-${n}`);
  await Promise.all(
    sessions.map((sessionId) =>
      system.noteInbox({
        sessionId,
        changes: Array.from({ length: 10 }, (_, n) =>
          pendingChange(fakeRequest("p-crash", sessionId, n)),
        ),
        history: [],
      }),
    ),
  );
  await Promise.all(
    sessions.slice(0, 5).map((sessionId) =>
      system.noteInbox({
        sessionId,
        changes: [{ kind: "resolved", sessionId, permissionId: "perm-0" }],
        history: [],
      }),
    ),
  );
  await stopRunner(runner, "SIGKILL");
  runner = await startRunner(slot, INSPECTOR);
  const rows = await retry(() => inspect("p-crash").listInboxRows(), {
    deadline: Date.now() + RECOVERY_MS,
  });
  const expected = sessions.flatMap((sessionId, s) =>
    Array.from({ length: 10 }, (_, n) => `${sessionId}/perm-${n}`).filter(
      (_, n) => s >= 5 || n > 0,
    ),
  );
  expect(rows.sort()).toEqual(expected.sort());
  await stopRunner(runner, "SIGTERM");
}, 300_000);
const listed = async () =>
  ((await project("admin").listInbox()) as InboxPage).requests.map(
    (r) => `${r.sessionId}/${r.permissionId}`,
  );

test("a project holding its inbox in its state keeps every request, session and tombstone when it wakes with the rows", async () => {
  runner = await startRunner(slot);
  // Two asks of real sessions, pending in them and in the inbox.
  const asks = await Promise.all(
    ["mig-a", "mig-b"].map(async (sessionId) => {
      const outcome = (await deliver(() =>
        session("agent", sessionId).requestPermission({
          requestId: `r-${sessionId}`,
          toolName: "Bash",
          input: { command: `make deploy-${sessionId}` },
          waitMs: 0,
        }),
      )) as { permissionId: string };
      return `${sessionId}/${outcome.permissionId}`;
    }),
  );
  let requests: PermissionRequest[] = [];
  await vi.waitFor(async () => {
    requests = ((await project("admin").listInbox()) as InboxPage).requests;
    expect(requests.map((r) => `${r.sessionId}/${r.permissionId}`).sort()).toEqual(asks.sort());
  }, POLL);
  await stopRunner(runner, "SIGTERM");

  // The old shape: the inbox in the state (with a session that has nothing pending and a
  // tombstone), no inbox tables.
  runner = await startRunner(slot, INSPECTOR);
  const legacy = {
    pending: Object.fromEntries(requests.map((r) => [`${r.sessionId}/${r.permissionId}`, r])),
    sessions: { "mig-a": 200, "mig-b": 200, "old-session": 123 },
    resolved: { "old-session/perm-settled": Date.now() },
    revisions: { "mig-a": 4, "mig-b": 4, "old-session": 9 },
  };
  const keys = await retry(() => inspect(PROJECT).seedLegacyInbox(legacy), {
    deadline: Date.now() + RECOVERY_MS,
  });
  expect(keys).toEqual(expect.arrayContaining(["pending", "sessions", "resolved", "projectId"]));
  await stopRunner(runner, "SIGTERM");

  runner = await startRunner(slot);
  // Every pending request is listed (the sessions sleep: nothing but the import can list them).
  const after = await retry(listed, { deadline: Date.now() + RECOVERY_MS });
  expect(after.sort()).toEqual(asks.sort());
  // The session with nothing pending is still known, with when it last reported.
  expect(await project("admin").listSessions()).toEqual(
    expect.arrayContaining([{ sessionId: "old-session", lastSeenAt: 123 }]),
  );
  // The tombstone holds: a late report of the settled request does not revive it.
  const late = requests[0]!;
  const applied = await project(internalToken()).noteInbox({
    sessionId: "old-session",
    changes: [
      {
        kind: "pending",
        sessionId: "old-session",
        permissionId: "perm-settled",
        request: { ...late, sessionId: "old-session", permissionId: "perm-settled" },
      },
    ],
    history: [],
  });
  expect(applied.applied).toBe(0);
  // And the inbox goes on: an answer takes its request out.
  const [first] = asks.sort();
  const [sessionId, permissionId] = first!.split("/") as [string, string];
  await session("approver", sessionId).respondPermission(sessionId, permissionId, "once");
  await vi.waitFor(
    async () => expect(await listed()).toEqual(asks.filter((k) => k !== first)),
    POLL,
  );
}, 400_000);
