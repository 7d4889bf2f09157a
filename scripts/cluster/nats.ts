// NATS, the engines' pub/sub (several engine nodes on PostgreSQL need it beside the database).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type Child, canConnect, startChild, stopChild, waitUntil } from "./process.ts";

export interface Nats {
  readonly child: Child;
  readonly port: number;
  stop(): Promise<void>;
}

/** The nats-server binary on PATH (Debian's package puts it in /usr/sbin). */
export function findNats(): string | undefined {
  for (const candidate of [
    process.env.WARDEN_NATS_SERVER,
    "nats-server",
    "/usr/sbin/nats-server",
  ]) {
    if (candidate && spawnSync(candidate, ["--version"]).status === 0) return candidate;
  }
  return undefined;
}

export async function startNats(options: { dir: string; port: number }): Promise<Nats> {
  const bin = findNats();
  if (!bin) throw new Error("nats-server not found: apt-get install nats-server");
  const child = startChild("nats", bin, ["-a", "127.0.0.1", "-p", String(options.port)], {
    logFile: join(options.dir, "nats.log"),
  });
  await waitUntil(
    "nats to listen",
    async () => ((await canConnect(options.port)) ? true : undefined),
    { timeoutMs: 15_000, child },
  );
  return { child, port: options.port, stop: () => stopChild(child, "SIGTERM", 5_000) };
}
