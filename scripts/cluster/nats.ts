// NATS, the engines' pub/sub (several engine nodes on PostgreSQL need it beside the database).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  type Child,
  canConnect,
  startChild,
  stopChild,
  waitUntil,
  writePrivate,
} from "./process.ts";

export interface Nats {
  readonly child: Child;
  readonly port: number;
  /** The credentials the engines connect with; without them NATS refuses a client. */
  readonly user: string;
  readonly password: string;
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
  // Any local user could otherwise read and publish the engines' messages. The credentials go in
  // a config file readable by this user only: on the command line, `ps` shows them to everyone.
  const user = "rivet";
  const password = randomBytes(24).toString("hex");
  const configFile = join(options.dir, "nats.conf");
  writePrivate(
    configFile,
    `listen: "127.0.0.1:${options.port}"\nauthorization {\n  user: "${user}"\n  password: "${password}"\n}\n`,
  );
  const child = startChild("nats", bin, ["-c", configFile], {
    logFile: join(options.dir, "nats.log"),
  });
  await waitUntil(
    "nats to listen",
    async () => ((await canConnect(options.port)) ? true : undefined),
    { timeoutMs: 15_000, child },
  );
  return {
    child,
    port: options.port,
    user,
    password,
    stop: () => stopChild(child, "SIGTERM", 5_000),
  };
}
