// Child processes of the cluster: spawned with their output in a log file, awaited by condition,
// stopped by pid (only what we started).
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { chmodSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Writes a file only its owner can read (configs with tokens and passwords). The cluster's
 * directory must be traversable by the `postgres` user when run as root, so every other user can
 * open a file in it whose name they know: the file's own mode is what keeps them out.
 */
export function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  // An existing file keeps its mode through writeFileSync.
  chmodSync(file, 0o600);
}

/** A process this cluster started. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far (also in `logFile`). */
  output(): string;
  readonly logFile: string;
  /** Resolves with the exit code or signal name once the process has exited. */
  readonly exited: Promise<number | string>;
  alive(): boolean;
}

const running = new Set<Child>();
// Last resort when this process exits without stopping the cluster (an uncaught error,
// process.exit): no engine, database or runner outlives it. A signal's default action skips it,
// and so does SIGKILL (a test runner's timeout): the watchdog below covers those.
process.once("exit", () => {
  for (const child of running) if (child.alive()) child.process.kill("SIGKILL");
});

/**
 * A detached process that outlives this one only to SIGKILL whatever this one started and left
 * running: it polls this process's pid and reads the pids of the children still running from a
 * file that `startChild` rewrites on every start and exit (so a pid is never killed after it
 * exited and could have been reused). Without it, a killed test left engines, PostgreSQL and NATS
 * behind.
 */
let watchList: string | undefined;
function watchChildren(): string {
  if (watchList) return watchList;
  const dir = mkdtempSync(join(tmpdir(), "warden-cluster-watch-"));
  const list = join(dir, "pids");
  writeFileSync(list, "");
  const script = `
    const fs = require("node:fs");
    const [parent, list, dir] = process.argv.slice(1);
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    const timer = setInterval(() => {
      if (alive(Number(parent))) return;
      clearInterval(timer);
      let pids = [];
      try { pids = fs.readFileSync(list, "utf8").split(",").filter(Boolean).map(Number); } catch {}
      for (const pid of pids) { try { process.kill(pid, "SIGKILL"); } catch {} }
      fs.rmSync(dir, { recursive: true, force: true });
    }, 500);`;
  const watchdog = spawn(process.execPath, ["-e", script, String(process.pid), list, dir], {
    detached: true,
    stdio: "ignore",
  });
  watchdog.unref();
  process.once("exit", () => {
    // Stopped in order, nothing left: the watchdog has nothing to do.
    if (running.size === 0) {
      watchdog.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  watchList = list;
  return list;
}

function writeWatchList() {
  if (!watchList) return;
  const pids = [...running].filter((c) => c.alive()).map((c) => c.pid);
  // Comma-separated: the watchdog's source is a template string, where a regex escape such as
  // \s would silently lose its backslash (it once split on the letter "s" and killed nothing).
  writeFileSync(watchList, pids.join(","));
}

export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions & { logFile: string },
): Child {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  // Logs may quote configs, URLs or errors: readable by this user only, like every file here.
  const log = createWriteStream(options.logFile, { flags: "a", mode: 0o600 });
  let text = "";
  let exitedWith: number | string | undefined;
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    // Enough to find start lines and show the tail of a failure; the file has everything.
    text = (text + chunk.toString()).slice(-200_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitedWith = code ?? signal ?? "unknown";
      log.end();
      resolve(exitedWith);
    });
  });
  const handle: Child = {
    name,
    process: child,
    pid: child.pid,
    output: () => text,
    logFile: options.logFile,
    exited,
    alive: () => exitedWith === undefined,
  };
  watchChildren();
  running.add(handle);
  writeWatchList();
  void exited.then(() => {
    running.delete(handle);
    writeWatchList();
  });
  return handle;
}

/** Signals a child and waits for its exit; SIGKILL after `graceMs`. */
export async function stopChild(
  child: Child,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 10_000,
): Promise<void> {
  if (!child.alive()) return;
  child.process.kill(signal);
  const timer = setTimeout(() => child.alive() && child.process.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Polls `check` until it returns a value (not undefined), the child dies, or the time runs out. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs: number; child?: Child; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (options.child && !options.child.alive()) {
      throw new Error(
        `${options.child.name} exited (${await options.child.exited}) before ${what}; log ${options.child.logFile}:\n${options.child.output().slice(-3_000)}`,
      );
    }
    if (Date.now() > deadline) {
      const tail = options.child ? `; log ${options.child.logFile}` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${tail}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}

/** True when something accepts TCP connections on host:port. */
export function canConnect(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const taken = new Set<number>();

/** `count` free loopback ports below the ephemeral range, none handed out before by this process. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 500) throw new Error("no free loopback ports");
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port) || !(await canBind(port))) continue;
    taken.add(port);
    ports.push(port);
  }
  return ports;
}
