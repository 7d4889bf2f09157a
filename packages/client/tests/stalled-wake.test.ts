// A real server and engine behind a TCP relay that can hold every WebSocket open (an HTTP upgrade):
// the connection carrying it stays open and nothing is carried on it until released, as an open
// lost in a busy engine. Three idle-closed sessions are called at once with the client's wake
// bound pinned at 1: each reopening holds the bound until it opens or stalls (8 s unopened, then
// replaced). The next try of a stalled wake must wait its turn behind the other sessions' wakes,
// not open at once outside the bound (before: the first session's second try opened beside the
// second session's first, and reached the engine ahead of the third's). The assertion is on the
// order in which opens reach the relay, which the bound alone decides, never on timings.
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createWardenClient, type WardenClient } from "../src/index.ts";
import { type HoldingRelay, startHoldingRelay } from "./fixtures/holding-relay.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

const POLL = { timeout: 150_000, interval: 50 };
const SESSIONS = 3;

let server: TestWarden;
let relay: HoldingRelay;
let agent: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startHoldingRelay(server.endpoint, (request) =>
    /^upgrade:\s*websocket/im.test(request),
  );
  agent = createWardenClient({
    endpoint: relay.endpoint,
    project: "demo",
    token: "agent-token",
    fastPath: "off",
    idleCloseMs: 300,
    creation: { initial: 1, min: 1, max: 1 },
  });
});

afterAll(async () => {
  try {
    await Promise.race([agent?.dispose(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  } finally {
    await relay?.close();
    await server?.stop();
  }
});

test("a stalled wake tries again behind the other wakes, under the bound; every call is answered", async () => {
  const sessions = Array.from({ length: SESSIONS }, (_, i) => agent.session(`stalled-wake-${i}`));
  for (const session of sessions)
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } }),
    ).resolves.toMatchObject({ behavior: "allow" });
  for (const session of sessions) await expect.poll(() => session.status, POLL).toBe("idle");

  relay.hold();
  const decisions = sessions.map((session, i) =>
    session.requestPermission({ toolName: "Read", input: { file_path: `f${i}` } }),
  );
  // The first session's wake stalls, then the second's: by then, 3 opens have been held.
  await expect.poll(() => relay.held.length, POLL).toBeGreaterThanOrEqual(SESSIONS);
  const firstTries = relay.held.slice(0, SESSIONS);
  relay.release();
  for (const decision of decisions)
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "rule" });
  // One open per session before any session's second: each addresses its own actor.
  expect(new Set(firstTries).size).toBe(SESSIONS);
}, 240_000);
