// A real server and engine behind a TCP relay that can hold every WebSocket open (an HTTP upgrade):
// the connection carrying it stays open and nothing is carried on it until released, as an open
// lost in a busy engine. Three idle-closed sessions are called at once with the client's wake
// bound pinned at 1: each reopening holds the bound until it opens or stalls (8 s unopened, then
// replaced). The next try of a stalled wake must wait its turn behind the other sessions' wakes,
// not open at once outside the bound (before: the first session's second try opened beside the
// second session's first, and reached the engine ahead of the third's). The assertion is on the
// order in which opens reach the relay, which the bound alone decides, never on timings.
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createWardenClient, type WardenClient } from "../src/index.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

const POLL = { timeout: 150_000, interval: 50 };
const SESSIONS = 3;

/** A TCP relay that can hold the connections carrying a WebSocket open (see above). */
interface Relay {
  readonly endpoint: string;
  hold(): void;
  release(): void;
  /** The request line of every open held so far, in the order they arrived. */
  readonly held: readonly string[];
  close(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  const held: string[] = [];
  const parked: (() => void)[] = [];
  let holding = false;
  const server: Server = createServer((local) => {
    const upstream = connect({ host: url.hostname, port: Number(url.port) });
    for (const socket of [local, upstream]) {
      socket.on("error", () => undefined);
      sockets.add(socket);
    }
    upstream.pipe(local);
    local.once("close", () => upstream.destroy());
    upstream.once("close", () => local.destroy());
    let parkedHere: Buffer[] | undefined;
    local.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      if (!parkedHere && holding && /^upgrade:\s*websocket/im.test(text)) {
        parkedHere = [];
        held.push(text.slice(0, text.indexOf("\r\n")));
        parked.push(() => {
          for (const c of parkedHere!.splice(0)) upstream.write(c);
          parkedHere = undefined;
        });
      }
      if (parkedHere) parkedHere.push(chunk);
      else upstream.write(chunk);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const resume of parked.splice(0)) resume();
    },
    get held() {
      return held;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

let server: TestWarden;
let relay: Relay;
let agent: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startRelay(server.endpoint);
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
