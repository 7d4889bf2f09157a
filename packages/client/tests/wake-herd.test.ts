import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createWardenClient, type WardenClient } from "../src/index.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

// A real server and engine. Sessions whose connections closed for idleness, all called at once:
// each reopening wakes a sleeping actor, and the client lets at most its bound of them be under
// way at once (a herd of hundreds broke an engine; docs/scale.md). The bound is pinned at 2.
const BOUND = 2;
const SESSIONS = 8;
const POLL = { timeout: 150_000, interval: 20 };

let server: TestWarden;
let agent: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  agent = createWardenClient({
    endpoint: server.endpoint,
    project: "demo",
    token: "agent-token",
    fastPath: "off",
    idleCloseMs: 300,
    creation: { initial: BOUND, min: BOUND, max: BOUND },
  });
});

afterAll(async () => {
  try {
    await Promise.race([agent?.dispose(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  } finally {
    await server?.stop();
  }
});

test("reopening idle-closed sessions is bounded per client, and every call gets its decision", async () => {
  const ids = Array.from({ length: SESSIONS }, (_, i) => `wake-herd-${i}`);
  const sessions = ids.map((id) => agent.session(id));
  for (const session of sessions)
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } }),
    ).resolves.toMatchObject({ behavior: "allow" });
  for (const session of sessions) await expect.poll(() => session.status, POLL).toBe("idle");

  // A reopening is under way from its connection's "reconnecting" until it leaves it (open).
  const reopening = new Set<number>();
  let mostAtOnce = 0;
  let reopened = 0;
  const offs = sessions.map((session, i) =>
    session.onStatus((status) => {
      if (status !== "reconnecting") return void reopening.delete(i);
      reopening.add(i);
      reopened += 1;
      mostAtOnce = Math.max(mostAtOnce, reopening.size);
    }),
  );
  try {
    // All at once: half are allowed by rule, half denied by rule; each must get its own answer.
    const decisions = await Promise.all(
      sessions.map((session, i) =>
        session.requestPermission(
          i % 2 === 0
            ? { toolName: "Read", input: { file_path: `f${i}` }, requestId: `herd-${i}` }
            : { toolName: "Bash", input: { command: `rm f${i}` }, requestId: `herd-${i}` },
        ),
      ),
    );
    decisions.forEach((decision, i) => {
      expect(decision).toMatchObject(
        i % 2 === 0
          ? { behavior: "allow", reason: "rule" }
          : { behavior: "deny", reason: "rule", message: "No deleting." },
      );
    });
    expect(reopened).toBe(SESSIONS);
    expect(mostAtOnce).toBeLessThanOrEqual(BOUND);
    expect(mostAtOnce).toBeGreaterThan(0);
  } finally {
    for (const off of offs) off();
  }
});
