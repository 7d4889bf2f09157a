// What the cluster starts does not outlive the process that started it, even one SIGKILLed before
// it could stop anything (scripts/cluster/process.ts's watchdog): no orphaned engine, PostgreSQL
// or NATS after a killed test.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, test } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "warden-cluster-cleanup-"));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("every child of a SIGKILLed cluster process is killed by the watchdog", async () => {
  const parent = spawn(
    process.execPath,
    ["--import", "tsx", resolve(import.meta.dirname, "fixtures/orphan-parent.ts"), dir],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  parent.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const signal = await new Promise((r) => parent.once("exit", (_code, sig) => r(sig)));
  expect(signal).toBe("SIGKILL");
  const pids = out.trim().split(" ").map(Number);
  expect(pids).toHaveLength(3);
  for (const pid of pids) expect(pid).toBeGreaterThan(0);
  started.push(...pids);
  // The watchdog polls every 500 ms: wait for the condition, not for a time. (It once read its
  // list of several pids as one NaN and killed none: a killed cluster test left engines running.)
  while (pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(alive)).toEqual([]);
}, 30_000);
