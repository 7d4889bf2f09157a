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
import type { HttpOptions } from "./options.ts";
import { Relay } from "./relay.ts";
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

const hostHeader = (host: string, port: number) =>
  `${host.includes(":") ? `[${host}]` : host}:${port}`;

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
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
  readonly relay: Relay;
  readonly streams: UpstreamStreams;
  headers: Headers;
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
  let challenged: AuthChallenge | undefined;
  const listener = getRequestListener(
    async (request) => {
      const response = await session.transport.handleRequest(request, { parsedBody: body });
      if (ids.length === 0) return response;
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
  const { host, port } = options.listen;

  async function open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const headers = passedHeaders(req, options.passHeaders);
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
        await upstream.terminateSession().catch(() => undefined);
      },
      enableDnsRebindingProtection: true,
      allowedHosts: [hostHeader(host, address().port), `localhost:${address().port}`],
    });
    const relay = new Relay({
      downstream,
      upstream,
      gate,
      serverName: options.server,
      relatedRequest: (message) => streams.take(message),
      trackSends: true,
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
    const client: ClientSession = { transport: downstream, relay, streams, headers };
    relays.add(relay);
    await relay.start();
    // Refused credentials at initialize: no session here either; the client retries with a token.
    if (await serve(client, req, res, body)) await relay.close("server");
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
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    if (path !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    const sessionHeader = req.headers["mcp-session-id"];
    if (typeof sessionHeader === "string") {
      const client = clients.get(sessionHeader);
      if (!client) return jsonRpcError(res, 404, -32001, "Session not found");
      client.headers = passedHeaders(req, options.passHeaders);
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
    await open(req, res, body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      io.log(`could not handle a request: ${(error as Error).message}`);
      if (!res.headersSent) jsonRpcError(res, 500, ErrorCode.InternalError, "Internal error");
      else res.end();
    });
  });
  const address = () => server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const url = `http://${hostHeader(host, address().port)}/mcp`;
  return {
    url,
    sessions: wardenSessions,
    async close() {
      await Promise.allSettled([...relays].map((relay) => relay.close("client")));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await warden.dispose();
    },
  };
}
