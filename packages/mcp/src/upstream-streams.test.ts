import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { expect, test } from "vitest";
import { UpstreamStreams } from "./upstream-streams.ts";

const log = {
  jsonrpc: "2.0",
  method: "notifications/message",
  params: { level: "info", data: "x" },
};
const sampling = {
  jsonrpc: "2.0",
  id: 0,
  method: "sampling/createMessage",
  params: { messages: [], maxTokens: 1 },
};
const result = { jsonrpc: "2.0", id: 7, result: { content: [] } };

/** An SSE response whose text arrives in these chunks. */
function sse(chunks: string[], status = 200, headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, {
    status,
    headers: { "content-type": "text/event-stream", ...headers },
  });
}

/** The message as the SDK's transport hands it over: its own parse of the event's data. */
const asSdk = (message: object) => JSONRPCMessageSchema.parse(message);

test("a server's request and notification are noted with the request whose stream carried them, once each", async () => {
  const streams = new UpstreamStreams();
  const text = `event: message\ndata: ${JSON.stringify(log)}\n\ndata: ${JSON.stringify(sampling)}\n\ndata: ${JSON.stringify(result)}\n\n`;
  // Split mid-event: the notes do not depend on how the bytes were chunked.
  const watched = streams.watch(
    sse([text.slice(0, 30), text.slice(30, 95), text.slice(95)]),
    [7],
    () => {},
  );
  expect(await watched.text()).toBe(text);
  expect(streams.take(asSdk(sampling))).toBe(7);
  expect(streams.take(asSdk(log))).toBe(7);
  expect(streams.take(asSdk(log))).toBeUndefined();
  expect(streams.take(asSdk(result))).toBeUndefined();
});

test("a server request whose method key is spelled with a JSON escape is noted all the same", async () => {
  const streams = new UpstreamStreams();
  // What a JSON parser reads as "method" although the text never says it plainly.
  const escaped = JSON.stringify(sampling).replace('"method"', '"\\u006dethod"');
  expect(escaped).not.toContain('"method"');
  await streams.watch(sse([`data: ${escaped}\n\n`]), [4], () => {}).text();
  expect(streams.take(asSdk(sampling))).toBe(4);
});

test("a message on a stream that answers no single request has no origin", async () => {
  const streams = new UpstreamStreams();
  const text = `data: ${JSON.stringify(log)}\n\n`;
  await streams.watch(sse([text]), [1, 2], () => {}).text();
  await streams.watch(sse([text]), [], () => {}).text();
  expect(streams.take(asSdk(log))).toBeUndefined();
});

test("a 401, and a 403 with a challenge, are kept for the requests they answered, taken once; a bare 403 is not", () => {
  const streams = new UpstreamStreams();
  streams.watch(new Response(null, { status: 401 }), [1], () => {});
  const scope = 'Bearer error="insufficient_scope", scope="write"';
  streams.watch(
    new Response(null, { status: 403, headers: { "www-authenticate": scope } }),
    [2],
    () => {},
  );
  streams.watch(new Response(null, { status: 403 }), [3], () => {});
  expect(streams.takeChallenge([1])).toEqual({ status: 401, wwwAuthenticate: undefined });
  expect(streams.takeChallenge([1])).toBeUndefined();
  expect(streams.takeChallenge([9, 2])).toEqual({ status: 403, wwwAuthenticate: scope });
  expect(streams.takeChallenge([3])).toBeUndefined();
});

test("a stream that breaks reports the requests it was to answer", async () => {
  const streams = new UpstreamStreams();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error("socket hang up"));
    },
  });
  const broken = new Promise<readonly unknown[]>((resolve) => {
    const watched = streams.watch(
      new Response(body, { headers: { "content-type": "text/event-stream" } }),
      [4, 5],
      (ids) => resolve(ids),
    );
    void watched.text().catch(() => undefined);
  });
  expect(await broken).toEqual([4, 5]);
});
