// A test run killed from outside (turbo ending a failed CI run SIGKILLs vitest, not its children)
// skips its global teardown; the engine RivetKit orphaned on purpose must not outlive it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { isRunning } from "./engine-harness.ts";

let enginePid: number | undefined;
afterAll(() => {
  // Only if the watchdog failed: the test must not leave the engine behind either.
  if (enginePid !== undefined) {
    try {
      process.kill(enginePid, "SIGKILL");
    } catch {}
  }
});

test("the engine of a SIGKILLed test run is killed and its storage removed", async () => {
  const parent = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "fixtures/stray-parent.ts"),
      `stray-${process.pid}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  parent.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  // Awaits the line naming the engine, or the fixture's exit.
  const exited = new Promise((resolve) => parent.once("exit", resolve));
  while (!out.includes("\n")) {
    if (await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 50))]))
      throw new Error(`the fixture exited before its engine started: ${out}`);
  }
  const [pid, storage] = out.trim().split(" ");
  enginePid = Number(pid);
  expect(enginePid).toBeGreaterThan(0);
  expect(await isRunning(enginePid)).toBe(true);
  expect(existsSync(storage!)).toBe(true);

  parent.kill("SIGKILL");
  await exited;
  // The watchdog polls every 500 ms: await the condition, not a time.
  while (await isRunning(enginePid)) await new Promise((r) => setTimeout(r, 100));
  while (existsSync(storage!)) await new Promise((r) => setTimeout(r, 100));
  enginePid = undefined;
}, 60_000);
