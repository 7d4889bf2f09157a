// A private PostgreSQL 15 cluster on a loopback port, for the engines' shared storage. initdb
// refuses to run as root, so as root the server runs as the `postgres` user.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Child, startChild, stopChild, waitUntil, writePrivate } from "./process.ts";

const DEFAULT_BIN = "/usr/lib/postgresql/15/bin";

export interface Postgres {
  readonly child: Child;
  readonly port: number;
  /** The engines' database URL, with the password in it: never print it. */
  readonly url: string;
  /** Runs one SQL statement with psql and returns its unaligned output. */
  query(sql: string): string;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  readonly dir: string;
  readonly port: number;
  /** fsync off: for throwaway test clusters only. */
  readonly durable: boolean;
  readonly bin?: string;
}

export async function startPostgres(options: PostgresOptions): Promise<Postgres> {
  const bin = options.bin ?? process.env.WARDEN_PG_BIN ?? DEFAULT_BIN;
  if (!existsSync(join(bin, "initdb"))) {
    throw new Error(
      `PostgreSQL 15 not found in ${bin} (apt-get install postgresql-15, or set WARDEN_PG_BIN)`,
    );
  }
  const user = process.getuid?.() === 0 ? lookupUser("postgres") : undefined;
  const own = join(options.dir, "postgres");
  const data = join(own, "data");
  const socketDir = join(own, "sock");
  if (user) {
    // The postgres user must reach its directory inside ours (mkdtemp makes it 0700).
    chmodSync(options.dir, statSync(options.dir).mode | 0o011);
  }
  for (const dir of [own, socketDir]) {
    mkdirSync(dir, { recursive: true });
    if (user) chownSync(dir, user.uid, user.gid);
  }
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  // A password, not `trust`: the port is on loopback, where every local user could otherwise
  // connect as the superuser and rewrite the engines' state (the sessions' decisions included).
  const password = randomBytes(24).toString("hex");
  const pwfile = join(own, "pwfile");
  writePrivate(pwfile, `${password}\n`);
  if (user) chownSync(pwfile, user.uid, user.gid);
  const init = spawnSync(
    join(bin, "initdb"),
    [
      ...["-D", data, "-U", "postgres", "-A", "scram-sha-256", "--pwfile", pwfile],
      ...["-E", "UTF8", "--no-instructions"],
    ],
    { ...as, encoding: "utf8" },
  );
  rmSync(pwfile, { force: true });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error}`);

  const child = startChild(
    "postgres",
    join(bin, "postgres"),
    [
      "-D",
      data,
      "-c",
      "listen_addresses=127.0.0.1",
      "-p",
      String(options.port),
      "-c",
      `unix_socket_directories=${socketDir}`,
      "-c",
      "max_connections=200",
      ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off"]),
    ],
    { ...as, logFile: join(options.dir, "postgres.log") },
  );
  const psql = (sql: string, db = "postgres") =>
    execFileSync(
      join(bin, "psql"),
      ["-h", "127.0.0.1", "-p", String(options.port), "-U", "postgres", "-d", db, "-XAtqc", sql],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PGPASSWORD: password },
      },
    );
  await waitUntil(
    "postgres to accept connections",
    () => {
      try {
        psql("select 1");
        return true;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 30_000, child },
  );
  psql("create database rivet");
  return {
    child,
    port: options.port,
    url: `postgresql://postgres:${password}@127.0.0.1:${options.port}/rivet?sslmode=disable`,
    query: (sql) => psql(sql, "rivet"),
    // SIGINT is PostgreSQL's fast shutdown: disconnect clients, checkpoint, exit.
    stop: () => stopChild(child, "SIGINT", 15_000),
  };
}

function lookupUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(`running as root, and there is no '${name}' user to run PostgreSQL as`);
  }
}
