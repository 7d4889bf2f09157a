import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  ErrorCode,
  isInitializeRequest,
  isJSONRPCRequest,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";
import {
  credentialsDigest,
  hostHeader,
  listenerTrust,
  refusal,
  sameCredentials,
} from "./http-guard.ts";
import type { HttpOptions } from "./options.ts";
import { Relay } from "./relay.ts";
import { idProblemMessage } from "./request-ids.ts";
import { linkWarden } from "./session.ts";
import { upstreamFetch } from "./upstream-fetch.ts";
import { type AuthChallenge, UpstreamStreams } from "./upstream-streams.ts";

/** A running Streamable HTTP gateway. */
export interface HttpGateway {
  /** Where clients connect: `http://HOST:PORT/mcp`. */
  readonly url: string;
  /** The Warden session of each open MCP session, by MCP session id. */
  readonly sessions: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Headers a client sends that the upstream gets too: credentials, never transport headers. */
function passedHeaders(req: IncomingMessage, names: readonly string[]): Headers {
  const headers = new Headers();
  for (const name of ["authorization", ...names.map((n) => n.toLowerCase())]) {
    const value = req.headers[name];
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(", "));
  }
  return headers;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** How often idle sessions are looked for: a fraction of the idle time, at most once a minute. */
const idleSweepMs = (idleMs: number) => Math.max(50, Math.min(idleMs / 4, 60_000));

function jsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

/** The ids of the JSON-RPC requests in a parsed POST body. */
const requestIds = (body: unknown): RequestId[] =>
  (Array.isArray(body) ? body : [body]).filter(isJSONRPCRequest).map((m) => m.id);

/** The ids of the JSON-RPC requests in a POST body as the SDK's client transport sends it. */
function requestIdsOf(body: unknown): RequestId[] {
  if (typeof body !== "string") return [];
  try {
    return requestIds(JSON.parse(body));
  } catch {
    return [];
  }
}

/**
 * The upstream's demand for credentials, as the client must see it to run its OAuth flow against
 * the upstream's authorization server: the same status and `WWW-Authenticate` header.
 */
function challengeResponse(challenge: AuthChallenge): Response {
  const body = {
    jsonrpc: "2.0",
    error: { code: -32001, message: "The MCP server requires authorization" },
    id: null,
  };
  const { status, wwwAuthenticate } = challenge;
  const headers =
    wwwAuthenticate === undefined ? undefined : { "www-authenticate": wwwAuthenticate };
  return Response.json(body, { status, headers });
}

/** One client's MCP session: its transport to the client and the credentials to pass upstream. */
interface ClientSession {
  readonly transport: WebStandardStreamableHTTPServerTransport;
  readonly upstream: StreamableHTTPClientTransport;
  readonly relay: Relay;
  readonly streams: UpstreamStreams;
  headers: Headers;
  /** The credentials the session was opened with: only requests with the same are served in it. */
  readonly credentials: Buffer;
  /** HTTP requests of this session being served now (an open SSE stream counts until it ends). */
  open: number;
  /** When the last of them ended (or began). */
  lastSeen: number;
}

/**
 * Serves one request of a client's session. A request the upstream answered with a demand for
 * credentials (401, or 403 with `WWW-Authenticate`) gets that answer as its HTTP response, which
 * is why the response waits until the upstream's answers to its requests have begun.
 */
async function serve(
  session: ClientSession,
  req: IncomingMessage,
  res: ServerResponse,
  body?: unknown,
): Promise<AuthChallenge | undefined> {
  const ids = body === undefined ? [] : requestIds(body);
  // A replayed request (a captured one sent again, a proxy's retry) must not run a second time;
  // claimed here, before the SDK's transport would map its id to this stream instead of the first.
  const reused = session.relay.requestIds.claim(ids);
  if (reused) {
    jsonRpcError(res, 400, ErrorCode.InvalidRequest, idProblemMessage(reused));
    return undefined;
  }
  let challenged: AuthChallenge | undefined;
  session.open += 1;
  session.lastSeen = Date.now();
  res.once("close", () => {
    session.open -= 1;
    session.lastSeen = Date.now();
  });
  const listener = getRequestListener(
    async (request) => {
      const response = await session.transport.handleRequest(request, { parsedBody: body });
      if (ids.length === 0) return response;
      // Refused by the transport (its headers, the session): no message of it was relayed.
      if (response.status >= 400) {
        session.relay.requestIds.release(ids);
        return response;
      }
      await session.relay.sent(ids);
      challenged = session.streams.takeChallenge(ids);
      if (!challenged) return response;
      await response.body?.cancel();
      return challengeResponse(challenged);
    },
    { overrideGlobalObjects: false },
  );
  await listener(req, res);
  return challenged;
}

/**
 * Serves Streamable HTTP at `http://HOST:PORT/mcp` and relays each client session to its own
 * session with the upstream server, asking Warden before every tools/call. The client's
 * `Authorization` header (and the `--pass-header` ones) go to the upstream on every request and
 * are never logged; Warden's token never leaves for the upstream.
 * @example const gateway = await startHttpGateway(options, { log: (l) => console.error(l) });
 */
export async function startHttpGateway(
  options: HttpOptions,
  io: { readonly log: (line: string) => void },
): Promise<HttpGateway> {
  const warden = linkWarden(options);
  const clients = new Map<string, ClientSession>();
  const wardenSessions = new Map<string, string>();
  const relays = new Set<Relay>();
  /** Idle sessions being closed: out of `relays` (their places are free), awaited by close(). */
  const closing = new Set<Promise<unknown>>();
  const { host, port } = options.listen;
  let trust: ReturnType<typeof listenerTrust>;

  async function open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const headers = passedHeaders(req, options.passHeaders);
    const credentials = credentialsDigest(headers);
    const { sessionId: wardenSession, gate } = warden.gate();
    const streams = new UpstreamStreams();
    const upstream = new StreamableHTTPClientTransport(new URL(options.upstream), {
      // Credentials as of the client's latest request, read at each upstream request.
      fetch: async (url, init) => {
        const merged = new Headers(init?.headers);
        for (const [name, value] of client.headers) merged.set(name, value);
        const response = await upstreamFetch(url, { ...init, headers: merged });
        return streams.watch(response, requestIdsOf(init?.body), (ids, why) =>
          relay.abandon(ids, why),
        );
      },
    });
    const downstream = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        clients.set(id, client);
        wardenSessions.set(id, wardenSession);
      },
      onsessionclosed: async () => {
        // Its place is free once the client's DELETE is answered, not when the relay has closed.
        relays.delete(relay);
        await upstream.terminateSession().catch(() => undefined);
      },
      // Checked at the edge already (handle); kept as a second lock on the same lists.
      enableDnsRebindingProtection: true,
      allowedHosts: [...trust.hosts],
      allowedOrigins: [...trust.origins],
    });
    const relay = new Relay({
      downstream,
      upstream,
      gate,
      serverName: options.server,
      relatedRequest: (message) => streams.take(message),
      trackSends: true,
      idsClaimedAtEdge: true,
      hideDenied: options.hideDenied,
      log: (line) => io.log(`[${wardenSession}] ${line}`),
      progressIntervalMs: options.progressMs,
      onClose: () => {
        relays.delete(relay);
        const id = downstream.sessionId;
        if (id !== undefined) {
          clients.delete(id);
          wardenSessions.delete(id);
        }
      },
    });
    const client: ClientSession = {
      transport: downstream,
      upstream,
      relay,
      streams,
      headers,
      credentials,
      open: 0,
      lastSeen: Date.now(),
    };
    relays.add(relay);
    await relay.start();
    const challenged = await serve(client, req, res, body);
    // Refused credentials at initialize, or an initialize the transport refused (its headers):
    // no session here either, and nothing of it stays behind.
    if (challenged || downstream.sessionId === undefined) await relay.close("server");
  }

  /** Closes the sessions whose clients went away without saying so (no request for --idle-close-ms). */
  function closeIdle(now = Date.now()): void {
    for (const [id, client] of clients) {
      if (client.open === 0 && now - client.lastSeen > options.idleCloseMs) {
        // Out of the table now: a request arriving while it closes finds no session (404).
        clients.delete(id);
        wardenSessions.delete(id);
        // Its place is free now, as after a client's DELETE: the upstream's answer to the
        // termination (slow on a loaded box) must not hold it against the next initialize.
        relays.delete(client.relay);
        io.log(`closed an MCP session idle for ${options.idleCloseMs} ms (--idle-close-ms)`);
        const closed = client.upstream
          .terminateSession()
          .catch(() => undefined)
          .finally(() => client.relay.close("client"))
          .catch(() => undefined);
        closing.add(closed);
        void closed.finally(() => closing.delete(closed));
      }
    }
  }

  /** The request's JSON body, or undefined after answering a parse error. */
  async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    try {
      return JSON.parse(await readBody(req)) as unknown;
    } catch (error) {
      io.log(`a client sent something that is not JSON: ${(error as Error).message}`);
      jsonRpcError(res, 400, ErrorCode.ParseError, `Parse error: ${(error as Error).message}`);
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Bounded before anything is read or opened: a flood of connections or of requests held open
    // (calls waiting for a human, SSE streams) is refused with 503, and the refusal creates nothing.
    if (!admitted.has(req.socket)) {
      io.log(`refused a connection: ${options.maxConnections} are open (--max-connections)`);
      return jsonRpcError(res, 503, -32000, "Too many connections; try again later", {
        connection: "close",
        "retry-after": "1",
      });
    }
    if (inFlight >= options.maxRequests) {
      io.log(`refused a request: ${options.maxRequests} are being served (--max-requests)`);
      return jsonRpcError(res, 503, -32000, "Too many requests in flight; try again later", {
        "retry-after": "1",
      });
    }
    inFlight += 1;
    res.once("close", () => {
      inFlight -= 1;
    });
    const refused = refusal(req.headers, trust);
    if (refused) {
      io.log(`refused a request: ${refused}`);
      return jsonRpcError(res, 403, -32000, `Forbidden: ${refused}`);
    }
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    if (path !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const sessionHeader = req.headers["mcp-session-id"];
    if (typeof sessionHeader === "string") {
      const client = clients.get(sessionHeader);
      const headers = passedHeaders(req, options.passHeaders);
      // Another client that learned the id (or this one with other credentials) gets no part of
      // the session: not its Warden session, its pending calls, its stream, nor its credentials.
      if (!client || !sameCredentials(client.credentials, credentialsDigest(headers)))
        return jsonRpcError(res, 404, -32001, "Session not found");
      client.headers = headers;
      if (req.method !== "POST") {
        await serve(client, req, res);
        return;
      }
      const body = await readJson(req, res);
      if (body !== undefined) await serve(client, req, res, body);
      return;
    }
    if (req.method !== "POST")
      return jsonRpcError(res, 400, ErrorCode.InvalidRequest, "Bad Request: no Mcp-Session-Id");
    const body = await readJson(req, res);
    if (body === undefined) return;
    if (!isInitializeRequest(body)) {
      io.log("a client sent a request without a session that is not initialize");
      return jsonRpcError(res, 400, ErrorCode.InvalidRequest, "Bad Request: initialize first");
    }
    closeIdle();
    if (relays.size >= options.maxSessions) {
      io.log(`refused a new MCP session: ${options.maxSessions} are open (--max-sessions)`);
      return jsonRpcError(res, 503, -32000, "Too many MCP sessions are open; try again later");
    }
    await open(req, res, body);
  }

  /** HTTP requests being served now, across sessions (an open SSE stream counts until it ends). */
  let inFlight = 0;
  /** Connections within --max-connections; requests on the others are refused. */
  const admitted = new WeakSet<object>();
  let connections = 0;
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      io.log(`could not handle a request: ${(error as Error).message}`);
      if (!res.headersSent) jsonRpcError(res, 500, ErrorCode.InternalError, "Internal error");
      else res.end();
    });
  });
  server.on("connection", (socket) => {
    connections += 1;
    if (connections <= options.maxConnections) admitted.add(socket);
    socket.once("close", () => {
      connections -= 1;
    });
  });
  const sweep = setInterval(() => closeIdle(), idleSweepMs(options.idleCloseMs));
  sweep.unref();
  const address = () => server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  trust = listenerTrust(host, address().port, options.allowHosts);
  const url = `http://${hostHeader(host, address().port)}/mcp`;
  return {
    url,
    sessions: wardenSessions,
    async close() {
      clearInterval(sweep);
      await Promise.allSettled([...[...relays].map((relay) => relay.close("client")), ...closing]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await warden.dispose();
    },
  };
}
