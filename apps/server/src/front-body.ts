// A call that names an actor by key may create it. Its body is read here, up to the actors' own
// message limit, before anything reaches the engine: a body the actor would refuse for its size
// must be refused before the engine creates the actor, or the refused call would still leave a
// new actor behind.
import type { IncomingMessage } from "node:http";
import { MAX_MESSAGE_BYTES } from "@warden/server";
import type { Refusal } from "./front-refusal.ts";

/** What the actor itself answers to a message over its limit (`message.incoming_too_long`). */
export const TOO_LONG: Refusal = {
  status: 413,
  group: "message",
  code: "incoming_too_long",
  message: `the message is over the actors' limit of ${MAX_MESSAGE_BYTES} bytes`,
};

/**
 * Reads the whole body if it stays within `limit` bytes; `undefined` as soon as it cannot (a
 * declared or an actual length over the limit). The rest of an oversized body is drained, so the
 * refusal still reaches the client over the same connection.
 */
export function readBounded(
  request: IncomingMessage,
  limit: number = MAX_MESSAGE_BYTES,
): Promise<Buffer | undefined> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (!Number.isFinite(declared) || declared > limit) {
    request.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.off("data", onData);
        request.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on("data", onData);
    request.once("end", () => {
      if (size <= limit) resolve(Buffer.concat(chunks, size));
    });
    request.once("error", reject);
  });
}
