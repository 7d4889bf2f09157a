// What the front tells the engine about where a request came from: only its own word. A client's
// Forwarded / X-Forwarded-* / X-Real-IP headers are claims (the front is the only proxy), dropped
// from every request, HTTP or WebSocket; X-Forwarded-For is the front's peer. The "engine" here is
// a plain server that records what reaches it (what the real engine does with the headers that do:
// packages/server/tests/attacks-wire.test.ts).
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { findEnginePort } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningFront, startFront } from "../src/front-proxy.ts";

let front: RunningFront;
let engine: Server;
let port: number;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  engine = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  engine.on("upgrade", (req, socket) => {
    seen.push(req.headers);
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  port = await findEnginePort();
  front = await startFront({
    host: "127.0.0.1",
    port,
    engine: { host: "127.0.0.1", port: (engine.address() as AddressInfo).port },
    allowedOrigins: [],
    adminToken: "forwarding-admin-token-0123456789abcdef",
    admit: () => ({ ok: true }) as never,
  });
});

afterAll(async () => {
  await front?.close();
  await new Promise((resolve) => engine?.close(resolve));
});

const CLAIMS = {
  Forwarded: "for=10.0.0.1;host=admin.internal;proto=https",
  "X-Forwarded-For": "10.0.0.1",
  "X-Forwarded-Host": "admin.internal",
  "X-Forwarded-Proto": "https",
  "X-Forwarded-Port": "443",
  "X-Forwarded-Prefix": "/admin",
  "X-Forwarded-Server": "admin.internal",
  "X-Real-IP": "10.0.0.1",
  "X-Original-URL": "/actors",
  "X-Rewrite-URL": "/actors",
};

/** Sends one request (or WebSocket handshake) through the front; resolves when it is answered. */
function send(path: string, upgrade: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      agent: false,
      headers: {
        ...CLAIMS,
        ...(upgrade
          ? {
              Connection: "Upgrade",
              Upgrade: "websocket",
              "Sec-WebSocket-Version": "13",
              "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            }
          : {}),
      },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve();
    });
    req.on("error", reject);
    req.end();
  });
}

test.each([
  ["an open path", "/metadata", false],
  ["an actor by id", "/gateway/abc123/action/listPending", false],
  ["an actor by id, as a WebSocket", "/gateway/abc123/connect", true],
  ["an actor by key", "/gateway/permissionSession/connect?rvt-method=get&rvt-key=p,s", true],
] as const)(
  "%s: the engine hears only the front's word on where it came from",
  async (_n, path, upgrade) => {
    seen.length = 0;
    await send(path, upgrade);
    expect(seen).toHaveLength(1);
    const headers = seen[0]!;
    for (const name of Object.keys(CLAIMS)) {
      if (name === "X-Forwarded-For") continue;
      expect(headers[name.toLowerCase()], name).toBeUndefined();
    }
    expect(headers["x-forwarded-for"]).toBe("127.0.0.1");
  },
);
