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

test("a child of a SIGKILLed cluster process is killed by the watchdog", async () => {
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
  const pid = Number(out.trim());
  expect(pid).toBeGreaterThan(0);
  started.push(pid);
  // The watchdog polls every 500 ms: wait for the condition, not for a time.
  while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
  expect(alive(pid)).toBe(false);
}, 30_000);
