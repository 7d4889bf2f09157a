// The SDK's WebSockets through the front survive the front going away: an agent waiting on a
// decision while every socket through the front is cut (the front stopped and started again on
// the same port) still gets the approver's answer.
import { createWardenClient } from "@warden/client";
import { policySource } from "@warden/rules";
import { createWarden } from "@warden/server";
import { allocateEngine, findEnginePort, stopSlotEngine } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningFront, startFront } from "../src/front-proxy.ts";

const AGENT = "reconnect-agent-token-0123456789";
const APPROVER = "reconnect-approver-token-0123456789";

let slot: Awaited<ReturnType<typeof allocateEngine>>;
let warden: ReturnType<typeof createWarden>;
let front: RunningFront;
let port: number;

const openFront = () =>
  startFront({
    host: "127.0.0.1",
    port,
    engine: { host: "127.0.0.1", port: slot.port },
    allowedOrigins: [],
    adminToken: slot.adminToken,
    admit: warden.admit,
  });

beforeAll(async () => {
  slot = await allocateEngine("warden-front-reconnect-");
  warden = createWarden({
    tokens: {
      [AGENT]: { id: "agent-1", role: "agent", projects: ["demo"] },
      [APPROVER]: { id: "alice", role: "approver", projects: ["demo"] },
    },
    policy: {
      defaultProject: policySource({ default_behavior: "ask", ask: { timeout_seconds: 120 } }),
    },
  });
  warden.registry.config.noWelcome = true;
  await warden.registry.startAndWait();
  port = await findEnginePort();
  front = await openFront();
});

afterAll(async () => {
  await front?.close();
  await warden?.registry.shutdown();
  if (slot) await stopSlotEngine(slot);
});

test("an agent waiting through a cut of every socket still gets the answer", async () => {
  const endpoint = `http://127.0.0.1:${port}`;
  const agent = createWardenClient({ endpoint, token: AGENT, project: "demo" });
  const approver = createWardenClient({ endpoint, token: APPROVER, project: "demo" });
  try {
    const decision = agent.session("cut").requestPermission({
      requestId: "cut-1",
      toolName: "Bash",
      input: { command: "make cut" },
    });
    decision.catch(() => undefined);
    const session = approver.session("cut");
    await expect
      .poll(async () => (await session.listPending()).length, { timeout: 60_000, interval: 200 })
      .toBe(1);
    const [pending] = await session.listPending();

    await front.close();
    front = await openFront();

    await session.respond(pending!.permissionId, "once");
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
  } finally {
    await agent.dispose();
    await approver.dispose();
  }
});
