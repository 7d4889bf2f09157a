// An approver's replies, sent through a TCP relay that can hold every request carrying one
// (`/action/respondPermission`) as a busy engine's gateway does. Before, each reply was re-sent
// on its 10 s bound while the first request was still open, and an inbox sent all its replies at
// once: under 100 asks at once the engine received ~2,900 reply requests for ~300 asks and its
// storage stalled (docs/scale.md, "Replies without a storm"). Now an attempt that outlives its
// bound is aborted (its connection closed) before the retry is sent, and the inbox keeps at most
// `REPLY_GATE.initial` replies in flight, fewer once they are slow. The oracle is the relay's count
// of open connections carrying a reply; every ask is still answered once the engine answers.
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { REPLY_GATE } from "../src/inbox.ts";
import { createWardenClient, type InboxRequest, type WardenClient } from "../src/index.ts";
import { type HoldingRelay, startHoldingRelay } from "./fixtures/holding-relay.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

const POLL = { timeout: 150_000, interval: 50 };
const REPLY = "/action/respondPermission";
const ASKS = REPLY_GATE.initial + 4;

let server: TestWarden;
let relay: HoldingRelay;
let agent: WardenClient;
let approver: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startHoldingRelay(server.endpoint, (request) => request.includes(REPLY));
  agent = createWardenClient({
    endpoint: server.endpoint,
    project: "demo",
    token: "agent-token",
    fastPath: "off",
  });
  approver = createWardenClient({
    endpoint: relay.endpoint,
    project: "demo",
    token: "approver-token",
    fastPath: "off",
  });
});

afterAll(async () => {
  try {
    await Promise.race([
      Promise.all([agent?.dispose(), approver?.dispose()]),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  } finally {
    await relay?.close();
    await server?.stop();
  }
});

test("replies the engine holds are bounded in flight, and a retry closes the attempt it replaces", async () => {
  const session = agent.session("reply-storm");
  const asks = Array.from({ length: ASKS }, (_, i) =>
    session.requestPermission({ toolName: "Bash", input: { command: `deploy ${i}` } }),
  );
  const requests: InboxRequest[] = [];
  const inbox = approver.inbox();
  const unsubscribe = await inbox.subscribe({
    onRequest: (request) => {
      if (request.sessionId === "reply-storm") requests.push(request);
    },
    onResolved: () => undefined,
  });
  await expect.poll(() => requests.length, POLL).toBe(ASKS);

  relay.hold();
  const replies = requests.map((r) => inbox.respond(r.sessionId, r.permissionId, "once"));
  // Every reply was held once and at least one attempt outlived its bound and was tried again.
  await expect.poll(() => relay.held.length, POLL).toBeGreaterThan(ASKS);
  // Never more open at once than the inbox's bound: neither every reply at once, nor a retry
  // beside the attempt it replaced.
  expect(relay.maxOpen).toBeLessThanOrEqual(REPLY_GATE.initial);
  relay.release();

  const answered = await Promise.all(replies);
  expect(answered.map((a) => a.resolution.outcome)).toEqual(Array(ASKS).fill("allow"));
  const decisions = await Promise.all(asks);
  expect(decisions.map((d) => d.behavior)).toEqual(Array(ASKS).fill("allow"));
  unsubscribe();
}, 240_000);
