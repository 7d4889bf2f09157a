// How the front refuses, in the shapes RivetKit's client already reads: over HTTP a JSON error
// `{ group, code, message }` (the client reads any non-2xx answer with a JSON content type so);
// over a WebSocket the actor's own refusal, an `Error` message and a close whose reason is
// `group.code` (what rivetkit 2.3.19's runner sends when onBeforeConnect throws).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** A refusal: `group` "user" for Warden's own codes, "api" for the engine's admin token. */
export interface Refusal {
  readonly status: number;
  readonly group: string;
  readonly code: string;
  readonly message: string;
  readonly metadata?: unknown;
}

/** Answers an HTTP request with a refusal (plus `extra` headers, e.g. CORS for an allowed origin). */
export function refuseHttp(
  response: ServerResponse,
  refusal: Refusal,
  extra: Record<string, string> = {},
): void {
  const { status, ...error } = refusal;
  const body = JSON.stringify(error);
  response.writeHead(status, {
    ...extra,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}

/** Refuses an upgrade before the handshake, with a plain HTTP answer (for what is no client's). */
export function refuseUpgradeHttp(socket: Duplex, refusal: Refusal): void {
  const { status, ...error } = refusal;
  const body = JSON.stringify(error);
  socket.end(
    `HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** The close code rivetkit's runner uses for a refused connection. */
const CLOSE_ERROR = 1011;

/**
 * Completes the WebSocket handshake and refuses as the actor would: the `Error` message in the
 * client's encoding (JSON or BARE; CBOR clients get the close alone), then a close with reason
 * `group.code`, from which the client builds the same typed error.
 */
export function refuseWebSocket(request: IncomingMessage, socket: Duplex, refusal: Refusal): void {
  const key = request.headers["sec-websocket-key"];
  if (typeof key !== "string" || !/^[A-Za-z0-9+/]{22}==$/.test(key)) {
    refuseUpgradeHttp(socket, refusal);
    return;
  }
  const offered = protocolsOf(request);
  const accept = createHash("sha1")
    .update(key + WEBSOCKET_GUID)
    .digest("base64");
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n` +
      (offered.includes("rivet") ? "Sec-WebSocket-Protocol: rivet\r\n" : "") +
      "\r\n",
  );
  const encoding = offered.find((p) => p.startsWith("rivet_encoding."))?.slice(15);
  const error = { group: refusal.group, code: refusal.code, message: refusal.message };
  if (encoding === "json") {
    const message = { body: { tag: "Error", val: { ...error, actionId: null } } };
    socket.write(frame(0x1, Buffer.from(JSON.stringify(message))));
  } else if (encoding === "bare") {
    socket.write(frame(0x2, bareError(error)));
  }
  const reason = Buffer.from(`${refusal.group}.${refusal.code}`).subarray(0, 123);
  const close = Buffer.alloc(2 + reason.length);
  close.writeUInt16BE(CLOSE_ERROR, 0);
  reason.copy(close, 2);
  socket.end(frame(0x8, close));
}

/** The `sec-websocket-protocol` entries a client offered. */
export function protocolsOf(request: IncomingMessage): string[] {
  const header = request.headers["sec-websocket-protocol"];
  return (header ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** An unmasked frame (server to client), final, with the given opcode. */
function frame(opcode: number, whole: Buffer): Buffer {
  const payload = whole.subarray(0, 65_535);
  const length = payload.length;
  const head =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);
  return Buffer.concat([head, payload]);
}

/** `ToClient { body: Error }` in rivetkit's client protocol v4 (BARE), with an empty actor. */
function bareError(error: { group: string; code: string; message: string }): Buffer {
  const parts: Buffer[] = [Buffer.from([0x04, 0x00, 0x01])];
  for (const text of [error.group, error.code, error.message.slice(0, 1_000)]) {
    const bytes = Buffer.from(text);
    parts.push(uvarint(bytes.length), bytes);
  }
  // metadata, actionId and actor: none.
  parts.push(Buffer.from([0x00, 0x00, 0x00]));
  return Buffer.concat(parts);
}

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
