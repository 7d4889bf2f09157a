// A runner's connections to an external engine, relayed through this process so that it sees the
// one RivetKit hides: the envoy's (GET /envoys/connect), which carries every actor it hosts.
//
// Why: when the engine node at the other end of that connection dies, rivetkit 2.3.19 reconnects
// to another node within a second and keeps its actors, but their storage writes in flight were
// cut ("remote sqlite commit result is indeterminate after envoy disconnect"), their stop fails,
// and they stay up on a closed SQLite coordinator: each retries its state save at once, forever
// (tens of thousands of errors a minute), starves the runner, and answers calls only with a 60 s
// timeout while the engine already runs them elsewhere. Measured in docs/deploy.md. The only
// sound way out is a fresh process: the runner exits and the engine restarts its actors elsewhere.
//
// Either side may end that connection. A surviving engine node that could not renew the envoy's
// registration during a leader failover closes the WebSocket ("registration_expired ... should
// reconnect") and the runner's envoy client may then close the TCP connection first; that run
// kept broken actors the engine had already given up on, and two sessions never answered again.
// So the end of an established envoy connection, from either side and for any reason, is a loss
// unless this process is shutting down; so is a second envoy connection while one is established.
import { connect as connectTcp, createServer, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";

/** The local relay a runner gives RivetKit as its engine endpoint. */
export interface EngineLink {
  /** `http://127.0.0.1:<port>`: where RivetKit connects instead of the engine. */
  readonly endpoint: string;
  /** Resolves once the envoy's established connection ended, from either side (not on shutdown). */
  readonly lost: Promise<void>;
  /** From now on a connection that ends is part of a shutdown, not a loss. */
  expectClose(): void;
  /** Stops relaying and closes every connection. */
  close(): Promise<void>;
}

/** How a runner exits when it lost its engine connection: EX_TEMPFAIL, "restart me". */
export const ENGINE_LOST_EXIT_CODE = 75;

const ENVOY_PATH = "/envoys/connect?";

/** Opens a relay on a free loopback port to `endpoint` (http or https; TLS is dialled here). */
export async function openEngineLink(endpoint: string): Promise<EngineLink> {
  const url = new URL(endpoint);
  const tls = url.protocol === "https:";
  const port = Number(url.port) || (tls ? 443 : 80);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const sockets = new Set<Socket>();
  let closing = false;
  let markLost: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => {
    markLost = resolve;
  });
  let isLost = false;

  /** The envoy's connection whose upgrade the engine accepted: it carries this runner's actors. */
  let established: Socket | undefined;
  const loseEngine = () => {
    if (closing || isLost) return;
    isLost = true;
    markLost();
    // Nothing may keep using the engine: RivetKit must not reconnect the same actors.
    for (const socket of sockets) socket.destroy();
  };

  const server = createServer((local) => {
    // Once lost, RivetKit must not reconnect the same actors through a new connection.
    if (isLost) return void local.destroy();
    local.setNoDelay(true);
    const upstream = tls
      ? connectTls({ host, port, servername: host, ALPNProtocols: ["http/1.1"] })
      : connectTcp({ host, port });
    upstream.setNoDelay(true);
    sockets.add(local);
    sockets.add(upstream);
    let envoyRequest = false;
    local.once("data", (first: Buffer) => {
      const requestLine = first.subarray(0, first.indexOf("\r\n")).toString("latin1");
      envoyRequest = requestLine.startsWith("GET ") && requestLine.includes(ENVOY_PATH);
    });
    // The relay's port is open to every local user: only a connection the engine accepted as an
    // envoy (it switched protocols, which takes the admin token) is the runner's own. Before the
    // upgrade no actor is assigned: a refused or failed connect is retried by RivetKit.
    upstream.once("data", (first: Buffer) => {
      if (!envoyRequest || first.subarray(0, 13).toString("latin1") !== "HTTP/1.1 101 ") return;
      // A second accepted envoy while one is connected: the envoy client gave up on a connection
      // the engine may still count as live; the actors it carried are in an unknown state.
      if (established) return loseEngine();
      established = local;
    });
    // Whichever side ends first, the established envoy connection is gone.
    const ended = () => {
      if (established === local) loseEngine();
    };
    local.once("end", ended);
    upstream.once("end", ended);
    local.on("error", () => upstream.destroy());
    upstream.on("error", () => local.destroy());
    local.once("close", () => {
      sockets.delete(local);
      ended();
      upstream.destroy();
    });
    upstream.once("close", () => {
      sockets.delete(upstream);
      ended();
      local.destroy();
    });
    local.pipe(upstream);
    upstream.pipe(local);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("engine relay has no port");
  return {
    endpoint: `http://127.0.0.1:${address.port}${url.pathname.replace(/\/$/, "")}`,
    lost,
    expectClose() {
      closing = true;
    },
    async close() {
      closing = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
