// An approver's replies, sent through a TCP relay that can hold every request carrying one
// (`/action/respondPermission`) as a busy engine's gateway does. Before, each reply was re-sent
// on its 10 s bound while the first request was still open, and an inbox sent all its replies at
// once: under 100 asks at once the engine received ~2,900 reply requests for ~300 asks and its
// storage stalled (docs/scale.md, "Replies without a storm"). Now an attempt that outlives its
// bound is aborted (its connection closed) before the retry is sent, and the inbox keeps at most
// `REPLY_GATE.initial` replies in flight, fewer once they are slow. The oracle is the relay's count
// of open connections carrying a reply; every ask is still answered once the engine answers.
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { REPLY_GATE } from "../src/inbox.ts";
import { createWardenClient, type InboxRequest, type WardenClient } from "../src/index.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

const POLL = { timeout: 150_000, interval: 50 };
const REPLY = "/action/respondPermission";
const ASKS = REPLY_GATE.initial + 4;

/** A TCP relay that holds the connections carrying a reply and counts those still open. */
interface Relay {
  readonly endpoint: string;
  hold(): void;
  release(): void;
  /** Replies held so far. */
  readonly held: number;
  /** The most held replies whose connections were open at once. */
  readonly maxOpen: number;
  close(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const url = new URL(target);
  const sockets = new Set<Socket>();
  const parked: { resume: () => void }[] = [];
  let holding = false;
  let open = 0;
  let maxOpen = 0;
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
      if (!parkedHere && holding && chunk.toString("latin1").includes(REPLY)) {
        const chunks: Buffer[] = [];
        parkedHere = chunks;
        open += 1;
        maxOpen = Math.max(maxOpen, open);
        local.once("close", () => {
          open -= 1;
        });
        parked.push({
          resume: () => {
            for (const c of chunks.splice(0)) upstream.write(c);
            if (parkedHere === chunks) parkedHere = undefined;
          },
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
      for (const entry of parked) entry.resume();
    },
    get held() {
      return parked.length;
    },
    get maxOpen() {
      return maxOpen;
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
let approver: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startRelay(server.endpoint);
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
  await expect.poll(() => relay.held, POLL).toBeGreaterThan(ASKS);
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
