// RivetKit 2.3.19's stateless actions send their body as a stream (`duplex: "half"`), which
// Chromium uploads only over HTTP/2: against a plain-HTTP Warden endpoint every such call fails
// with net::ERR_ALPN_NEGOTIATION_FAILED. This wraps `fetch` so that a streamed body is read into
// memory first and sent as an ordinary one. Bodies here are small JSON or CBOR messages.

type StreamingInit = RequestInit & { duplex?: "half" };

/** Installs the wrapper on `globalThis.fetch` (idempotent). */
export function bufferStreamedFetchBodies(): void {
  const native = globalThis.fetch as typeof fetch & { buffered?: true };
  if (native.buffered) return;
  const buffered = async (
    input: Parameters<typeof fetch>[0],
    init?: StreamingInit,
  ): Promise<Response> => {
    if (init?.body instanceof ReadableStream) {
      const { duplex: _duplex, ...rest } = init;
      return native(input, { ...rest, body: await new Response(init.body).arrayBuffer() });
    }
    if (input instanceof Request && input.body instanceof ReadableStream) {
      const body = await input.arrayBuffer();
      return native(new Request(input.url, { ...requestInit(input), ...init, body }));
    }
    return native(input, init);
  };
  globalThis.fetch = Object.assign(buffered, { buffered: true as const });
}

function requestInit(request: Request): RequestInit {
  return {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    credentials: request.credentials,
    mode: request.mode,
    redirect: request.redirect,
    referrerPolicy: request.referrerPolicy,
  };
}
