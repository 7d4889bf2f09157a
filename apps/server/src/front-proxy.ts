// The server's public port. The embedded engine listens on loopback behind it; this front answers
// CORS preflights itself (configured origins only), refuses the engine's API without its admin
// token, and checks a call that addresses an actor by key with the actors' own connection check
// before the engine can create that actor (its body too: see front-body.ts). Everything else
// passes through untouched: bodies are streamed, and an accepted WebSocket is a byte pipe (frames
// are never parsed or re-framed).
// Written on node:http, not a proxy library: what is checked must be exactly the request target
// the engine parses, and libraries rewrite it (http-proxy-3 rejoins path and query).
import { createHash, timingSafeEqual } from "node:crypto";
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { pipeline } from "node:stream";
import type { Admission } from "@warden/server";
import { readBounded, TOO_LONG } from "./front-body.ts";
import { corsHeaders, isEngineCorsHeader, isPreflight, preflightHeaders } from "./front-cors.ts";
import {
  protocolsOf,
  type Refusal,
  refuseHttp,
  refuseUpgradeHttp,
  refuseWebSocket,
} from "./front-refusal.ts";
import { type FrontRoute, routeOf } from "./front-route.ts";
import { isKeyHeader, MAX_ERROR_BODY, scrubErrorBody, UNREADABLE_ERROR } from "./front-scrub.ts";
import { isForwardingHeader, REFUSED_SOCKET_MS, tunnel } from "./front-tunnel.ts";

/** What the front needs: where to listen, where the engine is, and who may come in. */
export interface FrontOptions {
  readonly host: string;
  readonly port: number;
  /** The engine's guard, on loopback. */
  readonly engine: { readonly host: string; readonly port: number };
  /** Browser origins that get a CORS allowance; any other `Origin` is refused. */
  readonly allowedOrigins: readonly string[];
  /** The engine's admin token: its API passes the front only with it. */
  readonly adminToken: string;
  /** The actors' connection check (`createWarden(...).admit`). */
  readonly admit: (name: string, key: unknown, params: unknown) => Admission;
  /** Why this server needs a restart, if it does: `/health` then answers 503 with it. */
  readonly unhealthy?: () => string | undefined;
}

/** A listening front. */
export interface RunningFront {
  close(): Promise<void>;
}

/** Headers of one hop only, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
]);

const STATUS: Record<string, number> = { unauthorized: 401, forbidden: 403, invalid_input: 400 };

const FOREIGN_ORIGIN: Refusal = {
  status: 403,
  group: "user",
  code: "forbidden",
  message: "this origin may not call the Warden server (see allowedOrigins in docs/server.md)",
};
/** What the engine itself answers without its token; the SDK reads it as "use the gateway". */
const ENGINE_API: Refusal = {
  status: 403,
  group: "api",
  code: "forbidden",
  message: "Access denied: the engine's API needs its admin token",
};
const NOT_WEBSOCKET: Refusal = {
  status: 400,
  group: "user",
  code: "invalid_input",
  message: "only WebSocket upgrades are served",
};
const ENGINE_UNAVAILABLE: Refusal = {
  status: 502,
  group: "guard",
  code: "engine_unavailable",
  message: "the engine did not answer",
};

/** A refusal, and whether it is an actor's (a WebSocket then gets the actor's typed close). */
type Verdict = { readonly refusal: Refusal; readonly asActor: boolean } | undefined;

/**
 * Starts the front on `host:port`; resolves once it listens.
 * @example const front = await startFront({ host, port, engine: { host: "127.0.0.1", port: 6421 }, allowedOrigins, adminToken, admit }); await front.close();
 */
export async function startFront(options: FrontOptions): Promise<RunningFront> {
  const allowed = new Set(options.allowedOrigins);
  const adminHash = sha256(options.adminToken);
  const agent = new Agent({ keepAlive: true, noDelay: true });
  const tunnels = new Set<Socket>();

  /** The engine's own routes: with its admin token only. */
  const engineOnly = (request: IncomingMessage): Verdict =>
    hasToken(request, adminHash) ? undefined : { refusal: ENGINE_API, asActor: false };

  const decide = (request: IncomingMessage, route: FrontRoute, upgrade: boolean): Verdict => {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.has(origin)) {
      return { refusal: FOREIGN_ORIGIN, asActor: false };
    }
    // The engine routes a request that names a target or an actor (by header or WebSocket
    // protocol, `namesTarget`) by it, before its path: to its runner, envoy, API or an actor by
    // id. Those are the engine's routes, behind its token, whatever path the request carries;
    // the SDK never sends either on a gateway path.
    if (route.kind !== "engine" && namesTarget(request)) return engineOnly(request);
    switch (route.kind) {
      case "health":
      case "public": {
        // Open to anyone for what their path names only: as an upgrade the engine routes it by
        // its protocols instead.
        if (upgrade) return engineOnly(request);
        if (route.kind === "public") return undefined;
        const reason = options.unhealthy?.();
        if (reason === undefined) return undefined;
        return {
          refusal: { status: 503, group: "warden", code: "storage_closed", message: reason },
          asActor: false,
        };
      }
      case "actor-by-id":
        return undefined;
      case "engine":
        return engineOnly(request);
      case "malformed":
        return {
          refusal: { status: 400, group: "user", code: "invalid_input", message: route.reason },
          asActor: true,
        };
      case "actor-by-key": {
        const params = upgrade ? paramsOfProtocols(request) : paramsOfHeader(request);
        const admission = options.admit(route.name, route.key, params);
        if (admission.ok) return undefined;
        const { code, message, metadata } = admission;
        return {
          refusal: { status: STATUS[code] ?? 400, group: "user", code, message, metadata },
          asActor: true,
        };
      }
    }
  };

  const server = createServer({ noDelay: true }, (request, response) => {
    const origin = request.headers.origin;
    const allowedOrigin = origin !== undefined && allowed.has(origin) ? origin : undefined;
    const cors = allowedOrigin ? corsHeaders(allowedOrigin) : {};
    if (isPreflight(request.method ?? "", request.headers)) {
      request.resume();
      if (!allowedOrigin) response.writeHead(403).end();
      else {
        const requested = request.headers["access-control-request-headers"];
        response.writeHead(204, preflightHeaders(allowedOrigin, requested)).end();
      }
      return;
    }
    const route = routeOf(request.method ?? "", request.url ?? "");
    const verdict = decide(request, route, false);
    if (verdict) {
      request.resume();
      refuseHttp(response, verdict.refusal, cors);
      return;
    }
    if (route.kind !== "actor-by-key") {
      forward(request, response, cors, route.kind === "actor-by-id");
      return;
    }
    readBounded(request).then(
      (body) => {
        if (body === undefined) refuseHttp(response, TOO_LONG, cors);
        else forward(request, response, cors, true, body);
      },
      () => request.destroy(),
    );
  });

  /**
   * Sends the request on to the engine: its body streamed, or `body` if it was read already. An
   * actor's error answer (`toActor`) is read whole and passed on without its key (front-scrub.ts).
   */
  const forward = (
    request: IncomingMessage,
    response: ServerResponse,
    cors: Record<string, string>,
    toActor: boolean,
    body?: Buffer,
  ) => {
    const upstream = httpRequest(
      {
        host: options.engine.host,
        port: options.engine.port,
        method: request.method,
        path: request.url,
        headers: forwardedHeaders(request, body),
        agent,
      },
      (answer) => {
        const headers: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (
            value !== undefined &&
            !HOP_BY_HOP.has(name) &&
            !isEngineCorsHeader(name) &&
            !isKeyHeader(name)
          )
            headers[name] = value;
        }
        const status = answer.statusCode ?? 502;
        if (toActor && status >= 400) {
          passError(request, answer, response, status, headers, cors);
          return;
        }
        response.writeHead(status, { ...headers, ...cors });
        pipeline(answer, response, () => undefined);
      },
    );
    upstream.on("error", () => {
      // Once the engine has answered, its answer's own pipeline ends the response (the engine
      // may close the socket on a body it refused without reading it).
      if (!response.headersSent) refuseHttp(response, ENGINE_UNAVAILABLE, cors);
    });
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    // Not `pipeline`: on an engine error it would destroy the client's request, and with it the
    // socket that the engine's answer (or the 502) still has to reach.
    request.on("error", () => upstream.destroy());
    if (body === undefined) request.pipe(upstream);
    else upstream.end(body);
  };

  /** An actor's error answer, read whole (bounded) and passed on without the actor's key. */
  const passError = (
    request: IncomingMessage,
    answer: IncomingMessage,
    response: ServerResponse,
    status: number,
    headers: OutgoingHttpHeaders,
    cors: Record<string, string>,
  ) => {
    readBounded(answer, MAX_ERROR_BODY).then(
      (whole) => {
        const encoding = request.headers["x-rivet-encoding"];
        const scrubbed =
          whole === undefined
            ? undefined
            : scrubErrorBody(
                whole,
                answer.headers["content-type"],
                typeof encoding === "string" ? encoding : undefined,
              );
        if (scrubbed === undefined) {
          refuseHttp(response, { status, ...UNREADABLE_ERROR }, cors);
          return;
        }
        response.writeHead(status, { ...headers, ...cors, "content-length": scrubbed.length });
        response.end(scrubbed);
      },
      () => {
        if (!response.headersSent) refuseHttp(response, ENGINE_UNAVAILABLE, cors);
      },
    );
  };

  server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.setNoDelay(true);
    tunnels.add(socket);
    socket.on("close", () => tunnels.delete(socket));
    socket.on("error", () => socket.destroy());
    const verdict: Verdict =
      request.headers.upgrade?.toLowerCase() === "websocket"
        ? decide(request, routeOf(request.method ?? "", request.url ?? ""), true)
        : { refusal: NOT_WEBSOCKET, asActor: false };
    if (verdict) {
      if (verdict.asActor) refuseWebSocket(request, socket, verdict.refusal);
      else refuseUpgradeHttp(socket, verdict.refusal);
      // A client that never closes its side does not hold the socket open.
      setTimeout(() => socket.destroy(), REFUSED_SOCKET_MS).unref();
      return;
    }
    tunnel(request, socket, head, options.engine);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of tunnels) socket.destroy();
        agent.destroy();
      }),
  };
}

function forwardedHeaders(request: IncomingMessage, body?: Buffer): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !isForwardingHeader(name))
      headers[name] = value;
  }
  // A body read whole goes on with its real length, whatever framing the client used.
  if (body !== undefined) headers["content-length"] = body.length;
  headers["x-forwarded-for"] = request.socket.remoteAddress ?? "";
  return headers;
}

/**
 * Whether a request names the engine route or actor it wants, by header or WebSocket protocol
 * (`x-rivet-target` / `x-rivet-actor`, `rivet_target.` / `rivet_actor.`).
 */
function namesTarget(request: IncomingMessage): boolean {
  const { headers } = request;
  if (headers["x-rivet-target"] !== undefined || headers["x-rivet-actor"] !== undefined)
    return true;
  return protocolsOf(request).some((p) => /^rivet_(target|actor)\./i.test(p));
}

/** Connection parameters of an HTTP call: RivetKit sends them as JSON in `x-rivet-conn-params`. */
function paramsOfHeader(request: IncomingMessage): unknown {
  const header = request.headers["x-rivet-conn-params"];
  return typeof header === "string" ? parseJson(header) : undefined;
}

/** Connection parameters of a WebSocket: one `rivet_conn_params.<url-encoded JSON>` protocol. */
function paramsOfProtocols(request: IncomingMessage): unknown {
  const entries = protocolsOf(request).filter((p) => p.startsWith("rivet_conn_params."));
  if (entries.length !== 1) return undefined;
  try {
    return parseJson(decodeURIComponent(entries[0]!.slice("rivet_conn_params.".length)));
  } catch {
    return undefined;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether the request carries the engine's admin token (`Authorization: Bearer …`). */
function hasToken(request: IncomingMessage, expected: Buffer): boolean {
  const header = request.headers.authorization;
  if (typeof header !== "string" || !header.startsWith("Bearer ")) return false;
  return timingSafeEqual(sha256(header.slice("Bearer ".length)), expected);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
