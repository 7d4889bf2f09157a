// What the SDK's Streamable HTTP client transport does not say: on which response stream an
// upstream message arrived. A server sends the requests (sampling, elicitation, roots/list) and
// notifications that belong to a client request on that request's SSE stream; the gateway must
// send them to the client on the stream of the same request, not on another call's.
import {
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import { createParser } from "eventsource-parser";

/** An upstream's answer that asks for credentials (OAuth): the client must see it as it is. */
export interface AuthChallenge {
  readonly status: number;
  readonly wwwAuthenticate: string | undefined;
}

/** Challenges kept for requests whose HTTP response may still take them (the oldest go first). */
const MAX_CHALLENGES = 64;

/** How long a broken stream's last events get to reach the relay before its requests are failed. */
const BROKEN_STREAM_GRACE_MS = 100;

/**
 * Notes the upstream's messages as they stream in, before the SDK's transport reads them, so that
 * the relay can ask which client request each server request or notification belongs to.
 */
export class UpstreamStreams {
  /** Fingerprints of messages seen on a request's stream and not yet taken: their request. */
  readonly #origins = new Map<string, RequestId[]>();
  /** The upstream's 401 or 403 with `WWW-Authenticate`, by the request it answered. */
  readonly #challenges = new Map<RequestId, AuthChallenge>();

  /**
   * The response with its body watched. Each request or notification on the SSE stream of a POST
   * that carried one request is noted as that request's; when the stream breaks (the server died
   * mid-answer), `broken` hears which requests lost their answer, so that they are answered.
   */
  watch(
    response: Response,
    ids: readonly RequestId[],
    broken: (ids: readonly RequestId[], why: string) => void,
  ): Response {
    const wwwAuthenticate = response.headers.get("www-authenticate") ?? undefined;
    // A 401 always asks for credentials; a 403 does only with a challenge (insufficient_scope).
    if (response.status === 401 || (response.status === 403 && wwwAuthenticate !== undefined))
      for (const id of ids) {
        this.#challenges.set(id, { status: response.status, wwwAuthenticate });
        // A call sent after a human's answer has no HTTP response left to take its challenge.
        if (this.#challenges.size > MAX_CHALLENGES)
          this.#challenges.delete(this.#challenges.keys().next().value!);
      }
    if (!response.body || ids.length === 0) return response;
    const sse = response.headers.get("content-type")?.includes("text/event-stream") ?? false;
    const origin = ids.length === 1 ? ids[0] : undefined;
    const parser =
      sse && origin !== undefined
        ? createParser({ onEvent: (event) => this.#note(event.event, event.data, origin) })
        : undefined;
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { value, done } = await reader.read();
          if (done) {
            controller.close();
            return;
          }
          // Noted before the SDK sees the bytes: its parse comes after this, never before.
          parser?.feed(decoder.decode(value, { stream: true }));
          controller.enqueue(value);
        } catch (error) {
          setTimeout(
            () => broken(ids, `its stream broke (${(error as Error).message})`),
            BROKEN_STREAM_GRACE_MS,
          );
          controller.error(error);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /**
   * The client request that a server request or notification belongs to, or undefined when it
   * came on no request's stream (the standalone GET stream). Each noted message is taken once.
   */
  take(message: JSONRPCMessage): RequestId | undefined {
    if (this.#origins.size === 0) return undefined;
    const key = JSON.stringify(message);
    const queue = this.#origins.get(key);
    if (!queue) return undefined;
    const origin = queue.shift();
    if (queue.length === 0) this.#origins.delete(key);
    return origin;
  }

  /** The upstream's request for credentials in answer to one of these requests, taken once. */
  takeChallenge(ids: readonly RequestId[]): AuthChallenge | undefined {
    let found: AuthChallenge | undefined;
    for (const id of ids) {
      found ??= this.#challenges.get(id);
      this.#challenges.delete(id);
    }
    return found;
  }

  #note(type: string | undefined, data: string, origin: RequestId): void {
    if ((type !== undefined && type !== "message") || !data) return;
    // Most events are responses, a tool's result among them (which can be large): parsed only
    // when a "method" key may be in them (spelled plainly, or with a JSON escape).
    if (!data.includes('"method"') && !data.includes("\\u")) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return; // the SDK's transport reports it
    }
    // Responses are matched by id; only what the server starts itself needs its origin.
    if (typeof parsed !== "object" || parsed === null || !("method" in parsed)) return;
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (!message.success) return;
    // The same parse as the SDK's, so the same object and the same JSON as the relay will see.
    const key = JSON.stringify(message.data);
    const queue = this.#origins.get(key);
    if (queue) queue.push(origin);
    else this.#origins.set(key, [origin]);
  }
}
