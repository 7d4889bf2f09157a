// The WebSocket half of the front: an accepted handshake goes to the engine as received, and the
// socket becomes a byte pipe once the engine has switched protocols.
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { isKeyHeader } from "./front-scrub.ts";

/** How long a refused or declined WebSocket may wait for the client to close its side. */
export const REFUSED_SOCKET_MS = 5_000;

/**
 * Passes a WebSocket handshake to the engine as received and, once the engine has switched
 * protocols (101), pipes bytes both ways. Until then nothing more of the client's reaches the
 * engine, and an engine that answers anything else gets no further byte on that socket: a request
 * smuggled behind an upgrade the engine declines would otherwise reach it unchecked.
 */
export function tunnel(
  request: IncomingMessage,
  socket: Socket,
  head: Buffer,
  engine: { readonly host: string; readonly port: number },
): void {
  const upstream = connect({ host: engine.host, port: engine.port, noDelay: true });
  const close = () => {
    socket.destroy();
    upstream.destroy();
  };
  for (const end of [socket, upstream]) {
    end.on("error", close);
    end.on("close", close);
  }
  const lines = [`${request.method} ${request.url} HTTP/1.1`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!;
    if (!isForwardingHeader(name)) lines.push(`${name}: ${request.rawHeaders[i + 1]}`);
  }
  lines.push(`X-Forwarded-For: ${request.socket.remoteAddress ?? ""}`);
  upstream.write(`${lines.join("\r\n")}\r\n\r\n`);

  // The client's frames sent right after its handshake wait for the engine's answer.
  socket.pause();
  let answer = Buffer.alloc(0);
  const onAnswer = (chunk: Buffer) => {
    answer = Buffer.concat([answer, chunk]);
    const end = answer.indexOf("\r\n\r\n");
    if (end < 0) {
      if (answer.length > MAX_HANDSHAKE_BYTES) close();
      return;
    }
    upstream.off("data", onAnswer);
    socket.write(withoutKeyHeaders(answer, end));
    if (!/^HTTP\/1\.1 101 /.test(answer.subarray(0, 16).toString("latin1"))) {
      // Declined: the engine's answer goes back, and the socket ends with it.
      upstream.pipe(socket);
      setTimeout(close, REFUSED_SOCKET_MS).unref();
      return;
    }
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
  };
  upstream.on("data", onAnswer);
}

/** The engine's handshake answer (head ends at `end`) without the headers that name a key. */
function withoutKeyHeaders(answer: Buffer, end: number): Buffer {
  const lines = answer.subarray(0, end).toString("latin1").split("\r\n");
  const kept = lines.filter((line, i) => i === 0 || !isKeyHeader(line.split(":", 1)[0]!.trim()));
  if (kept.length === lines.length) return answer;
  return Buffer.concat([Buffer.from(kept.join("\r\n"), "latin1"), answer.subarray(end)]);
}

/**
 * Headers that tell where a request came from or which host it was for, as a proxy says it. The
 * front is the only proxy before the engine, so a client's own are claims: they are dropped from
 * every request (HTTP and WebSocket), and the front sets `X-Forwarded-For` to its peer. Nothing in
 * the engine 2.3.19 or Warden routes or authorises by them (tests/attacks-wire.test.ts); dropping
 * them keeps it so for a later engine that would.
 */
const FORWARDING_HEADERS = new Set([
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-forwarded-prefix",
  "x-forwarded-server",
  "x-real-ip",
  "x-original-url",
  "x-rewrite-url",
]);

export const isForwardingHeader = (name: string): boolean =>
  FORWARDING_HEADERS.has(name.toLowerCase());

/** An engine's handshake answer larger than this is not one. */
const MAX_HANDSHAKE_BYTES = 64 * 1024;
