// Errors inside an accepted WebSocket: RivetKit's `Error` frames for actions and subscriptions
// pass the front as bytes (it never parses frames). What they carry is read here from the raw
// frames the client receives, in every encoding (JSON, CBOR, BARE), through the real front and
// engine: no actor id, no key beyond what the caller named, no stack, no path.
import { connect } from "node:net";
import { policySource } from "@warden/rules";
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RunningFront, startFront } from "../../../apps/server/src/front-proxy.ts";
import type { WardenRegistry } from "../src/index.ts";
import { findEnginePort } from "../src/testing.ts";
import { type RunningWarden, startWarden } from "./warden-harness.ts";

let warden: RunningWarden;
let front: RunningFront;
let publicEndpoint: string;

/** Every frame any WebSocket of this process receives, as raw bytes. */
const frames: Uint8Array[] = [];
const Native = globalThis.WebSocket;
class RecordingWebSocket extends Native {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    this.addEventListener("message", (event: MessageEvent) => {
      const data = event.data as unknown;
      if (typeof data === "string") frames.push(new TextEncoder().encode(data));
      else if (data instanceof ArrayBuffer) frames.push(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) frames.push(new Uint8Array(data.buffer));
    });
  }
}

beforeAll(async () => {
  // Installed before RivetKit's client first looks WebSocket up (it keeps the first it finds).
  globalThis.WebSocket = RecordingWebSocket as typeof WebSocket;
  warden = await startWarden({
    policy: {
      defaultProject: policySource({ default_behavior: "ask", ask: { timeout_seconds: 600 } }),
    },
  });
  const port = await findEnginePort();
  front = await startFront({
    host: "127.0.0.1",
    port,
    engine: { host: "127.0.0.1", port: warden.slot.port },
    allowedOrigins: [],
    adminToken: warden.slot.adminToken,
    admit: warden.admit,
  });
  publicEndpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  globalThis.WebSocket = Native;
  await front?.close();
  await warden?.stop();
});

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

describe("errors inside an accepted WebSocket", () => {
  // RivetKit's native core adds `actor: { actorId, generation, key }` to every `Error` frame, and
  // the front passes frames as bytes. A frame only reaches a connection the actor admitted (a
  // refused one gets the typed close, tests/attacks.test.ts), so what it tells is the key the
  // caller named, or (connected by id) a key its token reaches; never a stack, a path or a token.
  test.each(["json", "cbor", "bare"] as const)(
    "%s: action errors carry the typed error, the caller's own key and actor id, nothing else",
    async (encoding) => {
      const sessionId = `frames-secret-${encoding}`;
      const client = createClient<WardenRegistry>({ endpoint: publicEndpoint, encoding });
      try {
        const handle = client.permissionSession.getOrCreate(["p1", sessionId], {
          params: { token: "agent" },
        });
        const actorId = await handle.resolve();
        const conn = handle.connect();
        frames.length = 0;
        const refusals = await Promise.all(
          [
            // A role refusal, a schema refusal, an unknown id, an unknown action.
            () => conn.respondPermission(sessionId, "perm_x", "once"),
            () => conn.requestPermission({ requestId: "", toolName: "", input: {} } as never),
            () => conn.waitForDecision("never-used", 0),
            () =>
              (conn as unknown as { action(o: object): Promise<unknown> }).action({
                name: "noSuchAction",
                args: [],
              }),
          ].map((call) =>
            call().then(
              () => "ok",
              (error: { code?: string }) => error.code,
            ),
          ),
        );
        expect(refusals).toEqual(["forbidden", "invalid_input", "not_found", "action_not_found"]);
        await conn.dispose();
        const seen = frames.map(text);
        expect(seen.length).toBeGreaterThanOrEqual(5);
        for (const frame of seen) {
          // What the caller named or was given at connect, and nothing from the server's insides.
          const rest = frame.replaceAll(actorId, "").replaceAll(`p1/${sessionId}`, "");
          expect(rest, frame).not.toContain(sessionId);
          expect(frame, frame).not.toMatch(/\bat .*:\d+:\d+|\/(work|home|tmp|usr)\/|node_modules/);
          expect(frame, frame).not.toMatch(/token|internal/i);
        }
      } finally {
        await client.dispose();
      }
    },
  );
});

/** Writes raw bytes to the front and reads everything it answers until it closes or goes quiet. */
function wire(bytes: string | Buffer, quietMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(publicEndpoint).port), "127.0.0.1");
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString("latin1"));
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      quiet();
    });
    socket.on("close", done);
    socket.on("error", done);
    socket.write(bytes);
    quiet();
  });
}

/** The status line of each answer in a raw reply, in order. */
const statuses = (raw: string) => [...raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));

describe("the wire, byte by byte, through the front to the engine", () => {
  let id: string;
  let other: string;
  beforeAll(async () => {
    const open = (sessionId: string) =>
      warden.client.permissionSession
        .getOrCreate(["p1", sessionId], { params: { token: "agent" } })
        .resolve();
    [id, other] = await Promise.all([open("wire-secret"), open("wire-other")]);
  });
  const list = "/actors?namespace=default&name=permissionSession";
  const close = "Connection: close\r\n\r\n";
  const action = (target: string, extra = "") =>
    `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-rivet-encoding: json\r\n${extra}`;

  // [name, raw request, the statuses the front answers, in order]
  const cases: [string, () => string | Buffer, number[]][] = [
    // Host and forwarding headers: nothing routes by them (the engine's health, not an actor's).
    [
      "Host naming an actor",
      () => `GET /health HTTP/1.1\r\nHost: ${id}.actor.localhost\r\n${close}`,
      [200],
    ],
    [
      "Host naming an actor and port",
      () => `GET /health HTTP/1.1\r\nHost: ${id}-6420.actor.localhost\r\n${close}`,
      [200],
    ],
    [
      "X-Forwarded-Host / Forwarded on the engine API",
      () =>
        `GET ${list} HTTP/1.1\r\nHost: x\r\nX-Forwarded-Host: 127.0.0.1\r\nForwarded: for=127.0.0.1;host=127.0.0.1\r\nX-Forwarded-For: 127.0.0.1\r\nX-Real-IP: 127.0.0.1\r\n${close}`,
      [403],
    ],
    // HTTP/2: neither the h2c upgrade nor the prior-knowledge preface.
    [
      "h2c upgrade",
      () =>
        `GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`,
      [400],
    ],
    ["HTTP/2 preface", () => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [400]],
    // Smuggling: a second request hidden in the first's body never gets an answer of its own.
    [
      "CL + TE",
      () =>
        `POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET ${list} HTTP/1.1\r\nHost: x\r\n\r\n`,
      [400],
    ],
    [
      "two Content-Lengths",
      () =>
        `POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\nGET ${list} HTTP/1.1\r\nHost: x\r\n\r\n`,
      [400],
    ],
    [
      "Transfer-Encoding with a space before the colon",
      () => "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
      [400],
    ],
    [
      "Transfer-Encoding: chunked, identity",
      () =>
        "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
      [400],
    ],
    [
      "Transfer-Encoding: xchunked",
      () => `POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n${close}0\r\n\r\n`,
      [403],
    ],
    [
      "bare LF line ends",
      () => `GET /health HTTP/1.1\nHost: x\n\nGET ${list} HTTP/1.1\nHost: x\n\n`,
      [400],
    ],
    // Pipelined on one keep-alive socket: each request is decided on its own (an actor's
    // metadata by id is open, and names no key: tests/attacks.test.ts).
    [
      "an open request, then the engine API",
      () => `GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET ${list} HTTP/1.1\r\nHost: x\r\n${close}`,
      [200, 403],
    ],
    [
      "a call by id, then the engine API",
      () =>
        `GET /gateway/${id}/metadata HTTP/1.1\r\nHost: x\r\n\r\nGET ${list} HTTP/1.1\r\nHost: x\r\n${close}`,
      [200, 403],
    ],
    // Chunk extensions and Expect: the actor's own refusal (no token), nothing more.
    [
      "chunk extensions",
      () =>
        `${action(`/gateway/${id}/action/listPending`, "Transfer-Encoding: chunked\r\n")}${close}2;ext=1\r\n[]\r\n0\r\n\r\n`,
      [500],
    ],
    [
      "Expect: 100-continue",
      () =>
        `${action(`/gateway/${id}/action/listPending`, "Expect: 100-continue\r\nContent-Length: 2\r\n")}${close}[]`,
      [100, 500],
    ],
    // Paths the engine might normalise into its API: an actor's 404 or the engine's refusal.
    [
      "dot-dot after an actor id",
      () => `GET /gateway/${id}/../..${list} HTTP/1.1\r\nHost: x\r\n${close}`,
      [404],
    ],
    [
      "encoded dot-dot after an actor id",
      () => `GET /gateway/${id}/%2e%2e/%2e%2e${list} HTTP/1.1\r\nHost: x\r\n${close}`,
      [404],
    ],
    [
      "an encoded slash in an actor id",
      () => `GET /gateway/${id}%2f..%2f..%2factors HTTP/1.1\r\nHost: x\r\n${close}`,
      [500],
    ],
    [
      "backslashes",
      () => `GET /gateway/${id}\\..\\..\\actors HTTP/1.1\r\nHost: x\r\n${close}`,
      [500],
    ],
    ["/./", () => `GET /.${list} HTTP/1.1\r\nHost: x\r\n${close}`, [403]],
    ["/health/../", () => `GET /health/..${list} HTTP/1.1\r\nHost: x\r\n${close}`, [403]],
    ["//", () => `GET /${list} HTTP/1.1\r\nHost: x\r\n${close}`, [403]],
    ["overlong UTF-8 dot", () => `GET /%c0%ae%c0%ae${list} HTTP/1.1\r\nHost: x\r\n${close}`, [403]],
    ["a ; parameter", () => `GET /health;/..${list} HTTP/1.1\r\nHost: x\r\n${close}`, [403]],
    ["a fragment", () => `GET /health#/..${list} HTTP/1.1\r\nHost: x\r\n${close}`, [400]],
    [
      "absolute-form target",
      () => `GET http://127.0.0.1${list} HTTP/1.1\r\nHost: x\r\n${close}`,
      [400],
    ],
    [
      "absolute-form open path",
      () => `GET http://other/health HTTP/1.1\r\nHost: x\r\n${close}`,
      [400],
    ],
    // Very large and very many headers: refused whole, nothing forwarded.
    [
      "a 70 KB header",
      () => `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}\r\n${close}`,
      [431],
    ],
    [
      "2,100 headers, then a routing one",
      () =>
        `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2100 }, (_, i) => `X-H${i}: 1\r\n`).join("")}X-Rivet-Target: api-public\r\n${close}`,
      [431],
    ],
  ];

  test.each(cases)("%s", async (_name, bytes, expected) => {
    const raw = await wire(bytes());
    expect(statuses(raw), raw.slice(0, 400)).toEqual(expected);
    // Never the engine's actor list, never the actor's key.
    expect(raw).not.toMatch(/"actors"\s*:/);
    expect(raw).not.toContain("wire-secret");
    if (expected.at(-1) === 200) expect(raw).toMatch(/"runtime":"engine"/);
  });

  test("a Host or X-Forwarded-Host naming another actor does not move a call by id", async () => {
    const raw = await wire(
      `GET /gateway/${id}/metadata HTTP/1.1\r\nHost: ${other}.actor.localhost\r\nX-Forwarded-Host: ${other}.actor.localhost\r\n${close}`,
    );
    expect(raw.toLowerCase()).toContain(`x-rivet-actor: ${id}`);
    expect(raw).not.toContain(other);
  });
});
