// What another user of the machine can get from `pnpm cluster`'s pieces (scripts/cluster): the
// PostgreSQL superuser, the engines' NATS traffic, or a secret from a file, a log or a command line.
// Starts the real PostgreSQL, NATS and one engine node on them (no runner), as the cluster does.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type EngineNode, startEngineNode } from "../../../scripts/cluster/engine-node.ts";
import { type Nats, startNats } from "../../../scripts/cluster/nats.ts";
import { type Postgres, startPostgres } from "../../../scripts/cluster/postgres.ts";
import { freePorts } from "../../../scripts/cluster/process.ts";

const dir = mkdtempSync(join(tmpdir(), "warden-cluster-secrets-"));
const adminToken = randomBytes(24).toString("base64url");
let postgres: Postgres;
let nats: Nats;
let engine: EngineNode;

beforeAll(async () => {
  const [pgPort, natsPort, guardPort, peerPort, metricsPort] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  postgres = await startPostgres({ dir, port: pgPort, durable: false });
  nats = await startNats({ dir, port: natsPort });
  engine = await startEngineNode({
    name: "engine-1",
    dir,
    adminToken,
    guardPort,
    peerPort,
    metricsPort,
    postgresUrl: postgres.url,
    natsPort,
    natsUser: nats.user,
    natsPassword: nats.password,
    publicUrl: `http://127.0.0.1:${guardPort}`,
    peerUrl: `http://127.0.0.1:${peerPort}`,
  });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await nats?.stop();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const secrets = () => [adminToken, new URL(postgres.url).password, nats.password];

/** psql as the superuser over TCP, as any local user can run it; its exit status and output. */
function psqlAs(password: string | undefined): { ok: boolean; output: string } {
  const env = { ...process.env };
  delete env.PGPASSWORD;
  if (password !== undefined) env.PGPASSWORD = password;
  try {
    const output = execFileSync(
      "/usr/lib/postgresql/15/bin/psql",
      ["-h", "127.0.0.1", "-p", String(postgres.port), "-U", "postgres", "-d", "rivet", "-XAtqw"],
      { input: "select count(*) from pg_tables", encoding: "utf8", env, stdio: "pipe" },
    );
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: unknown }).stderr) };
  }
}

test("PostgreSQL refuses a local connection without the password, or with a wrong one", () => {
  for (const password of [undefined, "", "postgres", "wrong"]) {
    const attempt = psqlAs(password);
    expect(attempt.ok).toBe(false);
    expect(attempt.output).toMatch(/password authentication failed|no password supplied/);
  }
  expect(psqlAs(new URL(postgres.url).password).ok).toBe(true);
});

/** Speaks NATS's protocol: connects with these credentials and pings; NATS's first answer line. */
function natsAnswer(credentials: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: nats.port });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (!text.startsWith("INFO")) return;
      const lines = text.split("\r\n");
      if (lines.length < 2) return;
      if (!text.includes("CONNECT_SENT")) {
        text += "CONNECT_SENT";
        socket.write(`CONNECT ${JSON.stringify({ verbose: false, ...credentials })}\r\nPING\r\n`);
        return;
      }
      const answer = text.split("CONNECT_SENT")[1]?.split("\r\n")[0];
      if (answer) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.once("error", reject);
  });
}

test("NATS refuses a client without the engines' credentials", async () => {
  const wrong: Record<string, string>[] = [
    {},
    { user: "rivet", pass: "wrong" },
    { auth_token: "x" },
  ];
  for (const credentials of wrong)
    expect(await natsAnswer(credentials)).toMatch(/-ERR 'Authorization Violation'/);
  expect(await natsAnswer({ user: nats.user, pass: nats.password })).toBe("PONG");
});

test("the engine node joins PostgreSQL and NATS with those credentials", async () => {
  const health = await fetch(`http://127.0.0.1:${engine.options.guardPort}/health`);
  expect(health.ok).toBe(true);
  expect(readFileSync(engine.child.logFile, "utf8")).not.toMatch(/authorization violation/i);
});

test("every file the cluster writes is readable by its owner only", () => {
  const written = readdirSync(dir).filter((name) => statSync(join(dir, name)).isFile());
  expect(written).toEqual(
    expect.arrayContaining([
      "engine-1.json",
      "engine-1.log",
      "nats.conf",
      "nats.log",
      "postgres.log",
    ]),
  );
  for (const name of written)
    expect({ name, mode: statSync(join(dir, name)).mode & 0o077 }).toEqual({ name, mode: 0 });
  expect(readdirSync(join(dir, "postgres"))).not.toContain("pwfile");
});

test("no secret is in a log file or on a command line", () => {
  const logs = readdirSync(dir)
    .filter((name) => name.endsWith(".log"))
    .map((name) => readFileSync(join(dir, name), "utf8"));
  const commandLines = [postgres.child, nats.child, engine.child].map((child) =>
    readFileSync(`/proc/${child.pid}/cmdline`, "utf8"),
  );
  for (const secret of secrets()) {
    expect(secret.length).toBeGreaterThan(20);
    for (const text of [...logs, ...commandLines]) expect(text).not.toContain(secret);
  }
});
