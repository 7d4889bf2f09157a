// Runs the real server as a child process, each with its own temp dir (config, storage) and ports.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning, readEnginePid } from "@warden/server/testing";
import { stringify } from "yaml";

export const APP_DIR = resolve(import.meta.dirname, "..");
export const REPO_DIR = resolve(APP_DIR, "../..");
const MAIN = join(APP_DIR, "src/main.ts");

export interface Workspace {
  readonly dir: string;
  readonly storage: string;
  /** The server's public port; its engine binds port + 1, port + 2 and port + 11 (enginePort = port + 1). */
  readonly port: number;
  /** Writes `config.yaml` (storage and port filled in unless given) and returns its path. */
  writeConfig(config: Record<string, unknown>): Promise<string>;
  /** Writes a file into the workspace and returns its path. */
  writeFile(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

/** Temp dirs of one `vitest run` share this prefix so the global teardown can find strays. */
export function prefix(): string {
  return `warden-app-${process.env.WARDEN_APP_TEST_RUN ?? process.pid}-`;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once("error", () => done(false));
    server.listen(port, "127.0.0.1", () => server.close(() => done(true)));
  });
}

/** A public port below the ephemeral range whose engine ports (+1, +2 and +11) are free too. */
export async function findPortTriple(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 30_000 + Math.floor(Math.random() * 10_000);
    const ports = [port, port + 1, port + 2, port + 11];
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return port;
  }
  throw new Error("no free port set");
}

export async function createWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix()));
  const storage = join(dir, "storage");
  const port = await findPortTriple();
  return {
    dir,
    storage,
    port,
    async writeConfig(config) {
      const path = join(dir, "config.yaml");
      await writeFile(path, stringify({ storage, port, ...config }));
      return path;
    },
    async writeFile(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    remove: () => stopLeftovers(dir),
  };
}

export interface ServerProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves once stdout has a line matching `pattern`; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Spawns `node --import tsx src/main.ts …` (never the tsx binary: it forks, and signals miss). */
export function spawnServer(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; pidFile?: string } = {},
): ServerProcess {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith("WARDEN_") || key === "CI") delete env[key];
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: options.cwd ?? APP_DIR,
    env: { ...env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (options.pidFile && child.pid) void writeFile(options.pidFile, String(child.pid));
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    err += chunk;
  });
  const exited = new Promise<number | string>((done) =>
    child.once("exit", (code, signal) => done(code ?? signal ?? -1)),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let exitedWith: number | string | undefined;
      void exited.then((code) => {
        exitedWith = code;
      });
      while (Date.now() < deadline) {
        const line = out.split("\n").find((l) => pattern.test(l));
        if (line) return line;
        if (exitedWith !== undefined) break;
        await sleep(20);
      }
      throw new Error(
        `no line matching ${pattern} (exit: ${exitedWith ?? "running"})\nstdout: ${out}\nstderr: ${err}`,
      );
    },
  };
}

/** Runs the server to completion (for starts that must fail, and `--print-config`). */
export async function runServer(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const server = spawnServer(args, { env });
  const code = await server.exited;
  return { code, stdout: server.stdout(), stderr: server.stderr() };
}

export { isRunning, readEnginePid };

async function stopPid(pid: number | undefined, graceMs = 5_000): Promise<void> {
  if (pid === undefined || !(await isRunning(pid))) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while ((await isRunning(pid)) && Date.now() < deadline) await sleep(50);
  if (await isRunning(pid)) process.kill(pid, "SIGKILL");
}

/** Stops a workspace's server and engine if a test left them running, then deletes it. */
async function stopLeftovers(dir: string): Promise<void> {
  const serverPid = Number(await readFile(join(dir, "server.pid"), "utf8").catch(() => ""));
  const cmdline = await readFile(`/proc/${serverPid}/cmdline`, "utf8").catch(() => "");
  if (serverPid > 0 && cmdline.includes(MAIN)) await stopPid(serverPid, 15_000);
  await stopPid(await readEnginePid(join(dir, "storage")));
  await rm(dir, { recursive: true, force: true });
}

/** Cleans up every workspace of this run (a crashed test file skips its afterAll). */
export async function removeStrayWorkspaces(): Promise<void> {
  const dirs = (await readdir(tmpdir())).filter((name) => name.startsWith(prefix()));
  await Promise.all(dirs.map((name) => stopLeftovers(join(tmpdir(), name))));
}
