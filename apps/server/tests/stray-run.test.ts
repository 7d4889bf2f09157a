// A test run killed from outside (turbo ending a failed CI run SIGKILLs vitest, not its children)
// skips its global teardown: the servers it spawned and their engines must not outlive it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { isRunning } from "./server-process.ts";

test("a SIGKILLed run's server and engine are killed and its workspace removed", async () => {
  const parent = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "fixtures/stray-run.ts")],
    // Its global setup names its workspaces after its own pid: this run's teardown never sees them.
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  parent.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise((resolve) => parent.once("exit", resolve));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!out.includes("\n")) {
    if (gone) throw new Error(`the fixture exited before its server started: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const [server, engine, dir] = out.trim().split(" ");
  const pids = [Number(server), Number(engine)];
  try {
    for (const pid of pids) expect(await isRunning(pid)).toBe(true);
    parent.kill("SIGKILL");
    await exited;
    // The watchdog polls every 500 ms: await the condition, not a time.
    for (const pid of pids)
      while (await isRunning(pid)) await new Promise((r) => setTimeout(r, 100));
    while (existsSync(dir!)) await new Promise((r) => setTimeout(r, 100));
  } finally {
    // Only if the watchdog failed: this test must not leave them behind either.
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
}, 90_000);
