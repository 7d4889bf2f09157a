// `pnpm load` stopped from outside, run for real: Ctrl-C (SIGINT to the whole process group, as a
// terminal and `timeout` send it, through pnpm), SIGTERM to the load process alone (a process
// manager), and SIGKILL of it (nothing of it runs: what an uncaught crash or a killed test runner
// leaves). Each time, no process of that run may be left: not its server, not the engine RivetKit
// spawned in a process group of its own. The run's processes are told apart from everything else on
// the box by its temp dir: the server's command line names it and the engine's pid is in its
// RivetKit stamp. A stop by a signal also prints what the run did so far.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { engineStampPath } from "../src/engine.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
/** Few sessions, calls enough to still be working when the signal comes. */
const PROFILE = ["--sessions", "3", "--requests", "100000", "--ask-fraction", "0"];
const PROFILE_ARGS = [...PROFILE, "--approvers", "0"];

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  stdout(): string;
  stderr(): string;
}

function start(command: string, args: readonly string[]): Run {
  // Its own process group, as a terminal's job: a signal to -pid reaches every process in it.
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RIVET_LOG_LEVEL: "error" },
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | string>((done) =>
    child.once("exit", (code, signal) => done(code ?? signal ?? "unknown")),
  );
  return { child, exited, stdout: () => out, stderr: () => err };
}

async function until<T>(what: string, check: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const read = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
};
/** Live (not zombie) processes whose command line contains `text`. */
function processesNaming(text: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid && alive(pid) && cmdline(pid).includes(text));
}
const cmdline = (pid: number) => read(`/proc/${pid}/cmdline`).split("\0").join(" ");
function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== "" && stat[stat.lastIndexOf(")") + 2] !== "Z";
}

/** Waits for the run's work phase, and returns its temp dir, engine pid and server pid. */
async function working(run: Run) {
  const dir = await until(
    "the embedded server",
    () => /\(log (\/\S+)\/server\.log\)/.exec(run.stderr())?.[1],
    150_000,
  );
  const engine = JSON.parse(read(engineStampPath(join(dir, "storage")))).pid as number;
  expect(cmdline(engine)).toContain("rivet-engine");
  const [server] = processesNaming(join(dir, "warden.yaml"));
  expect(server).toBeDefined();
  await until(
    "calls in the work phase",
    () => /\] work: [^\n]*decisions [1-9]/.exec(run.stderr()) ?? undefined,
    120_000,
  );
  return { dir, engine, server: server! };
}

async function expectNothingLeft(run: { dir: string; engine: number; server: number }) {
  // The guard of a killed run acts within a moment: wait for it by condition.
  await until(
    "the run's processes to end",
    () => (!alive(run.engine) && processesNaming(run.dir).length === 0 ? true : undefined),
    30_000,
  );
  expect(alive(run.server)).toBe(false);
  expect(existsSync(run.dir)).toBe(false);
}

test("Ctrl-C on `pnpm load` (SIGINT to its process group) prints the partial result and leaves no process", async () => {
  const run = start("pnpm", ["load", ...PROFILE_ARGS]);
  const found = await working(run);
  process.kill(-run.child.pid!, "SIGINT");
  await run.exited;
  expect(run.stdout()).toMatch(/stopped\s+in the work phase after \d+ s/);
  expect(run.stdout()).toMatch(/decisions\s+[1-9]\d* by the actors/);
  await expectNothingLeft(found);
}, 300_000);

test("SIGTERM to the load process alone prints the partial result, exits 143 and leaves no process", async () => {
  const run = start(process.execPath, ["--import", "tsx", "scripts/load.ts", ...PROFILE_ARGS]);
  const found = await working(run);
  run.child.kill("SIGTERM");
  expect(await run.exited).toBe(143);
  expect(run.stdout()).toMatch(/stopped\s+in the work phase/);
  await expectNothingLeft(found);
}, 300_000);

test("a load process killed outright (SIGKILL) leaves no server and no engine behind", async () => {
  const run = start(process.execPath, ["--import", "tsx", "scripts/load.ts", ...PROFILE_ARGS]);
  const found = await working(run);
  run.child.kill("SIGKILL");
  expect(await run.exited).toBe("SIGKILL");
  await expectNothingLeft(found);
}, 300_000);
