// A real server and engine behind a TCP relay that can hold every request creating an actor
// (`PUT /actors`, the engine's get-or-create by key): the connection carrying it stays open and
// nothing more is carried on it until released, as a request lost in a busy engine. A creation
// holds a place under the client's creation bound while it runs; RivetKit's request has no bound
// of its own, so before, one such request held its place for minutes and a client whose bound was
// full of them created nothing more, with no error (1,000 sessions, docs/scale.md). The SDK must
// give the attempt up and try again, and the session's call must be answered once the engine is.
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createWardenClient, type WardenClient } from "../src/index.ts";
import { type HoldingRelay, startHoldingRelay } from "./fixtures/holding-relay.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

const POLL = { timeout: 120_000, interval: 50 };
const CREATE = "PUT /actors";

let server: TestWarden;
let relay: HoldingRelay;
let agent: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startHoldingRelay(server.endpoint, (request) => request.includes(CREATE));
  agent = createWardenClient({
    endpoint: relay.endpoint,
    project: "demo",
    token: "agent-token",
    fastPath: "off",
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

test("a creation the engine never answers is tried again, and the session's call is answered", async () => {
  // One session first, so that the client's own setup (RivetKit's metadata) is done.
  await expect(
    agent.session("creation-stall-0").requestPermission({
      toolName: "Read",
      input: { file_path: "warm-up" },
    }),
  ).resolves.toMatchObject({ behavior: "allow" });

  relay.hold();
  const decision = agent
    .session("creation-stall-1")
    .requestPermission({ toolName: "Read", input: { file_path: "f" } });
  // The first creation is held; only a second try (the first given up) makes another.
  await expect.poll(() => relay.held.length, POLL).toBeGreaterThanOrEqual(2);
  relay.release();
  await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "rule" });
}, 180_000);
