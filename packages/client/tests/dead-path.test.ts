// A connection that stays open but answers nothing: what an agent's socket became in the cluster
// test after a runner's SIGKILL (the engine's gateway kept it open to the dead actor for 30–45 s).
// Here a real TCP relay between the SDK and a real Warden server stops carrying the bytes of the
// connections it already relays, keeping them open, while new connections pass. The SDK must
// notice from its own bounds, drop that connection and ask again on a fresh one: a retry on the
// silent connection waits forever.
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createWardenClient, type WardenClient } from "../src/index.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

/** A TCP relay whose existing connections can be silenced (kept open, nothing carried). */
interface Relay {
  readonly endpoint: string;
  /** Connections relayed so far stop carrying bytes either way; new ones still pass. */
  silence(): void;
  close(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const url = new URL(target);
  const pairs: [Socket, Socket][] = [];
  const server: Server = createServer((local) => {
    const upstream = connect({ host: url.hostname, port: Number(url.port) });
    for (const socket of [local, upstream]) socket.on("error", () => undefined);
    local.pipe(upstream);
    upstream.pipe(local);
    local.once("close", () => upstream.destroy());
    upstream.once("close", () => local.destroy());
    pairs.push([local, upstream]);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    silence() {
      for (const [local, upstream] of pairs.splice(0)) {
        local.unpipe(upstream);
        upstream.unpipe(local);
        // Read and drop whatever arrives, so that neither side sees a closed or full socket.
        local.on("data", () => undefined);
        upstream.on("data", () => undefined);
      }
    },
    async close() {
      for (const [local, upstream] of pairs) {
        local.destroy();
        upstream.destroy();
      }
      server.close();
    },
  };
}

let server: TestWarden;
let relay: Relay;
let agent: WardenClient;
let approver: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startRelay(server.endpoint);
  agent = createWardenClient({
    endpoint: relay.endpoint,
    token: "agent-token",
    project: "demo",
    fastPath: "off",
  });
  approver = createWardenClient({
    endpoint: server.endpoint,
    token: "approver-token",
    project: "demo",
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

describe("a connection on a dead path", () => {
  test("an agent waiting on a silent connection gets its decision on a fresh one", async () => {
    const session = agent.session("dead-path");
    const decision = session.requestPermission({
      toolName: "Bash",
      input: { command: "deploy" },
      requestId: "dead-path-1",
    });
    const watcher = approver.session("dead-path");
    await expect
      .poll(async () => (await watcher.listPending()).map((r) => r.requestId), {
        timeout: 150_000,
        interval: 100,
      })
      .toEqual(["dead-path-1"]);
    // The agent's long-poll is on the server now; its connection goes silent, open.
    relay.silence();
    const [request] = await watcher.listPending();
    await watcher.respond(request!.permissionId, "once");
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
  });

  test("a read on a silent connection is answered on a fresh one", async () => {
    const session = agent.session("dead-path-read");
    expect(await session.listPending()).toEqual([]);
    relay.silence();
    expect(await session.listRules()).toMatchObject({ rules: [] });
  });
});
