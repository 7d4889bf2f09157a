import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { type EngineLink, openEngineLink } from "./engine-link.ts";

// A stand-in engine: a TCP server that answers each request line and keeps the connection open,
// so the test decides which side ends it.
let engine: Server;
let links: EngineLink[] = [];
const engineSockets: Socket[] = [];

async function startEngine(): Promise<string> {
  engine = createServer((socket) => {
    engineSockets.push(socket);
    socket.on("error", () => undefined);
    socket.on("data", (chunk) => {
      const line = chunk.toString("latin1").split("\r\n")[0]!;
      // An engine node that cannot take the connection now (e.g. still taking over the lease).
      const status = line.includes("refuse=1")
        ? "503 Service Unavailable"
        : "101 Switching Protocols";
      socket.write(`HTTP/1.1 ${status}\r\nx-seen: ${line}\r\n\r\n`);
    });
  });
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  const address = engine.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

async function link(): Promise<EngineLink> {
  const opened = await openEngineLink(await startEngine());
  links.push(opened);
  return opened;
}

/** Opens a connection through the link, sends `requestLine`, and waits for the engine's answer. */
async function request(endpoint: string, requestLine: string): Promise<Socket> {
  const url = new URL(endpoint);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  socket.on("error", () => undefined);
  await once(socket, "connect");
  socket.write(`${requestLine}\r\nhost: x\r\n\r\n`);
  const [answer] = (await once(socket, "data")) as [Buffer];
  expect(answer.toString()).toContain(`x-seen: ${requestLine}`);
  return socket;
}

/** Whether `lost` has resolved, read after the connection it is about has closed on both sides. */
function watchLost(relay: EngineLink): () => Promise<boolean> {
  let lost = false;
  void relay.lost.then(() => {
    lost = true;
  });
  return async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return lost;
  };
}

const ENVOY = "GET /envoys/connect?protocol_version=1&namespace=default HTTP/1.1";

afterEach(async () => {
  await Promise.all(links.map((l) => l.close()));
  links = [];
  for (const socket of engineSockets.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => engine.close(() => resolve()));
});

describe("engine link", () => {
  test("relays both ways and reports the engine ending the envoy's connection", async () => {
    const relay = await link();
    await request(relay.endpoint, ENVOY);
    engineSockets.at(-1)!.destroy();
    await relay.lost;
  });

  test("refuses new connections once the envoy's connection was lost", async () => {
    const relay = await link();
    await request(relay.endpoint, ENVOY);
    engineSockets.at(-1)!.destroy();
    await relay.lost;
    const url = new URL(relay.endpoint);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.on("error", () => undefined);
    await once(socket, "close");
  });

  test("the runner ending its envoy connection is a loss too (a reconnect keeps broken actors)", async () => {
    // Measured: a surviving engine node expired the envoy's registration during a leader
    // failover and closed the WebSocket; the runner's side ended the TCP connection first.
    const relay = await link();
    const socket = await request(relay.endpoint, ENVOY);
    socket.end();
    await relay.lost;
  });

  test("a second envoy connection while one is established is a loss, and is refused", async () => {
    const relay = await link();
    const first = await request(relay.endpoint, ENVOY);
    const url = new URL(relay.endpoint);
    const second = connect({ host: url.hostname, port: Number(url.port) });
    second.on("error", () => undefined);
    await once(second, "connect");
    second.write(`${ENVOY}\r\nhost: x\r\n\r\n`);
    await relay.lost;
    await Promise.all([once(first, "close"), once(second, "close")]);
  });

  test("a second envoy request the engine refuses (no admin token) is no loss", async () => {
    // The relay's loopback port is open to every local user: only the engine's acceptance makes a
    // connection the runner's envoy, so a stranger's request cannot make the runner exit.
    const relay = await link();
    const lost = watchLost(relay);
    const first = await request(relay.endpoint, ENVOY);
    const refused = ENVOY.replace("namespace=default", "namespace=default&refuse=1");
    const stranger = await request(relay.endpoint, refused);
    stranger.destroy();
    await once(stranger, "close");
    expect(await lost()).toBe(false);
    first.end();
    await relay.lost;
  });

  test("an envoy connection the engine refused is no loss: RivetKit retries it", async () => {
    const relay = await link();
    const lost = watchLost(relay);
    const refused = ENVOY.replace("namespace=default", "namespace=default&refuse=1");
    const socket = await request(relay.endpoint, refused);
    engineSockets.at(-1)!.destroy();
    await once(socket, "close");
    expect(await lost()).toBe(false);
    // The retry is the envoy's first established connection: its end is a loss.
    const retry = await request(relay.endpoint, ENVOY);
    retry.end();
    await relay.lost;
  });

  test("the engine ending any other connection is not a loss", async () => {
    const relay = await link();
    const lost = watchLost(relay);
    const sockets = [
      await request(relay.endpoint, "GET /gateway/actor-1/connect HTTP/1.1"),
      await request(relay.endpoint, "POST /actors HTTP/1.1"),
    ];
    for (const socket of engineSockets) socket.destroy();
    await Promise.all(sockets.map((socket) => once(socket, "close")));
    expect(await lost()).toBe(false);
  });

  test("after expectClose, the engine ending the envoy's connection is a shutdown", async () => {
    const relay = await link();
    const lost = watchLost(relay);
    const socket = await request(relay.endpoint, ENVOY);
    relay.expectClose();
    engineSockets.at(-1)!.destroy();
    await once(socket, "close");
    expect(await lost()).toBe(false);
  });
});
