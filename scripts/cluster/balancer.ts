// A small TCP load balancer in front of the engines' guard (or peer) ports, with health checks,
// as haproxy does in the compose file: runners and clients reconnect through it to a live node.
import { connect, createServer, type Server, type Socket } from "node:net";
import { isHealthy } from "./engine-node.ts";

export interface Backend {
  readonly port: number;
  /** The port whose `/health` tells whether this backend is up (the node's guard port). */
  readonly healthPort: number;
  up: boolean;
  /** Failed health checks in a row. */
  failures: number;
}

/** Failed checks in a row before a backend is taken out (haproxy's `fall 2`); one success brings it back. */
const FALL = 2;

export interface Balancer {
  readonly port: number;
  readonly backends: readonly Backend[];
  close(): Promise<void>;
}

export interface BalancerOptions {
  readonly port: number;
  readonly backends: readonly { port: number; healthPort: number }[];
  /** Health check period; a refused connect takes a backend out at once. */
  readonly intervalMs?: number;
}

export async function startBalancer(options: BalancerOptions): Promise<Balancer> {
  const backends: Backend[] = options.backends.map((b) => ({ ...b, up: true, failures: 0 }));
  const open = new Set<Socket>();
  let next = 0;
  let closed = false;

  const check = async () => {
    await Promise.all(
      backends.map(async (backend) => {
        // A node busy taking over the lease may miss one check: only a second miss takes it out.
        backend.failures = (await isHealthy(backend.healthPort)) ? 0 : backend.failures + 1;
        backend.up = backend.failures < FALL;
      }),
    );
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void check().finally(schedule), options.intervalMs ?? 500);
  };
  await check();
  schedule();

  // Round robin over backends that are up, then over the others (a check may lag behind a node
  // that is back); a refused connect takes the backend out and tries the next one, so a client
  // only fails when no backend accepts.
  const pick = (tried: Set<Backend>): Backend | undefined => {
    for (const wanted of [true, false]) {
      for (let i = 0; i < backends.length; i++) {
        const backend = backends[(next + i) % backends.length]!;
        if (backend.up === wanted && !tried.has(backend)) {
          next = (next + i + 1) % backends.length;
          return backend;
        }
      }
    }
    return undefined;
  };

  const server: Server = createServer((client) => {
    client.pause();
    open.add(client);
    client.once("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    const tried = new Set<Backend>();
    const attempt = () => {
      const backend = pick(tried);
      if (!backend) {
        client.destroy();
        return;
      }
      tried.add(backend);
      const upstream = connect({ port: backend.port, host: "127.0.0.1" });
      upstream.setNoDelay(true);
      upstream.once("connect", () => {
        client.setNoDelay(true);
        upstream.on("error", () => client.destroy());
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once("error", () => {
        if (upstream.connecting || !upstream.remoteAddress) {
          backend.up = false;
          backend.failures = FALL;
          attempt();
        }
      });
    };
    attempt();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });

  return {
    port: options.port,
    backends,
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
