// An inbox larger than one answer: RivetKit sends at most 1 MiB per message, which a few thousand
// pending requests outgrow (2,500 here: ~2.5 MB of JSON; 10,000 failed with `outgoing_too_long`
// before the inbox was paged).
import { afterAll, beforeAll, expect, test } from "vitest";
import { fillInbox, PER_SESSION } from "../../../bench/client/inbox-bench.ts";
import { createWardenClient, type InboxRequest, type WardenClient } from "../src/index.ts";
import { ServerProcess } from "./fixtures/server-process.ts";

const SESSIONS = 250;

let server: ServerProcess;
let approver: WardenClient;

beforeAll(async () => {
  server = await ServerProcess.create();
  approver = createWardenClient({
    endpoint: server.endpoint,
    token: "approver-token",
    project: "demo",
  });
  // Reported as 250 sessions would (the internal token is the test server's).
  await fillInbox(server.endpoint, "test-internal-token", "demo", "paged", SESSIONS);
}, 300_000);

afterAll(async () => {
  try {
    await Promise.race([approver?.dispose(), new Promise((r) => setTimeout(r, 10_000))]);
  } finally {
    await server?.stop();
  }
});

test("list() returns every pending request across pages, each once", async () => {
  const listed = await approver.inbox().list();
  expect(listed.length).toBe(SESSIONS * PER_SESSION);
  expect(new Set(listed.map((r) => `${r.sessionId}/${r.permissionId}`)).size).toBe(listed.length);
}, 120_000);

test("a subscriber catches up on every pending request across pages, each once", async () => {
  const delivered: InboxRequest[] = [];
  const off = await approver.inbox().subscribe({
    onRequest: (request) => delivered.push(request),
    onResolved: () => undefined,
  });
  off();
  expect(delivered.length).toBe(SESSIONS * PER_SESSION);
  expect(new Set(delivered.map((r) => `${r.sessionId}/${r.permissionId}`)).size).toBe(
    delivered.length,
  );
}, 120_000);
