// The output watch of compose's runners (src/output-watch.ts), with real processes: a child that
// writes real runner output (tests/fixtures: save ticks of a leftover, and bursts that ended by
// themselves), then stays up as a runner does.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { isRunning } from "../src/engine.ts";

const WATCH = join(import.meta.dirname, "../src/output-watch.ts");
const FIXTURES = join(import.meta.dirname, "fixtures");
const started: ChildProcess[] = [];

/** The watch around `sh -c script`; resolves with its exit code and everything it wrote. */
function watch(script: string) {
  const child = spawn(process.execPath, ["--import", "tsx", WATCH, "--", "sh", "-c", script], {
    cwd: FIXTURES,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  return { child, exited, out: () => stdout, err: () => stderr };
}

afterEach(() => {
  for (const child of started.splice(0)) child.kill("SIGKILL");
});

describe("output-watch", () => {
  test("a runner whose actor's save ticks keep failing is killed, and the watch exits 75", async () => {
    const run = watch("echo pid=$$; cat save-ticks-leftover.txt; exec sleep 600");
    expect(await run.exited).toBe(75);
    const pid = Number(/pid=(\d+)/.exec(run.out())?.[1]);
    expect(await isRunning(pid)).toBe(false);
    expect(run.err()).toMatch(
      /warden: actor p6txmivyvrgglvtecducz195cqbl00\/3 is on closed storage: storage errors \(save_tick\) for 2\d\.\d s \(save ticks\); killing the runner and exiting \(75\)/,
    );
  });

  test("bursts that ended by themselves pass through unchanged, and the runner's exit code is kept", async () => {
    const run = watch("cat save-ticks-healed.txt; exit 3");
    expect(await run.exited).toBe(3);
    expect(run.out()).toBe(readFileSync(join(FIXTURES, "save-ticks-healed.txt"), "utf8"));
    expect(run.err()).toBe("");
  });

  test("SIGTERM reaches the runner, which drains and exits as it chooses", async () => {
    const run = watch("trap 'echo draining; exit 0' TERM; echo ready; while :; do sleep 0.1; done");
    await expect.poll(run.out, { timeout: 30_000 }).toContain("ready");
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain("draining");
  });
});
