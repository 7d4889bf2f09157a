// Gives each test run its own Rivet Engine (storage dir + ports) and stops it afterwards.
// RivetKit leaves the engine it spawns running on purpose; the pid is in its runtime stamp.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  allocateEngine as allocateSlot,
  type EngineSlot,
  isRunning,
  readEnginePid,
  stopSlotEngine,
} from "../src/testing.ts";

export type { EngineSlot } from "../src/testing.ts";
export { isRunning, readEnginePid };

/** Storage dirs of one `vitest run` share this prefix so global teardown can find strays. */
export function storagePrefix(): string {
  return `warden-rivet-${process.env.WARDEN_TEST_RUN_ID ?? process.pid}-`;
}

/** Reserves a storage dir and ports for this test run and points RivetKit at them. */
export function allocateEngine(): Promise<EngineSlot> {
  return allocateSlot(storagePrefix());
}

/** Remembers a server process a test spawned on this slot, so that `stopEngine` can stop it too. */
export async function recordRunner(storagePath: string, pid: number): Promise<void> {
  await mkdir(join(storagePath, "runners"), { recursive: true });
  await writeFile(join(storagePath, "runners", String(pid)), "");
}

/** SIGKILLs every recorded server process of the slot that still runs (checked by its command line). */
export async function stopRecordedRunners(storagePath: string): Promise<void> {
  const dir = join(storagePath, "runners");
  const pids = (await readdir(dir).catch(() => [] as string[])).map(Number).filter((n) => n > 0);
  await Promise.all(
    pids.map(async (pid) => {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      // Only a process that still runs a file of this slot's tests (the pid may have been reused).
      if (!cmdline.includes("tests/fixtures/") || !(await isRunning(pid))) return;
      process.kill(pid, "SIGKILL");
      const deadline = Date.now() + 5_000;
      while ((await isRunning(pid)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
    }),
  );
}

/**
 * Stops the slot's recorded server processes, then the engine recorded in its runtime stamp
 * (SIGTERM, then SIGKILL), and deletes its storage.
 */
export async function stopEngine(
  slot: Omit<EngineSlot, "adminToken">,
  { graceMs = 5_000 } = {},
): Promise<void> {
  await stopRecordedRunners(slot.storagePath);
  await stopSlotEngine(slot, graceMs);
}

/** Stops every engine this run left behind (a crashed or timed-out test file skips its afterAll). */
export async function stopStrayEngines(): Promise<void> {
  const prefix = storagePrefix();
  const dirs = (await readdir(tmpdir())).filter((name) => name.startsWith(prefix));
  await Promise.all(
    dirs.map((name) => stopEngine({ storagePath: join(tmpdir(), name), port: 0, endpoint: "" })),
  );
}

/**
 * Starts a detached watchdog (stray-watchdog.mjs) that SIGKILLs the engines and recorded server
 * processes in the temp dirs named `prefix`* (default: this run's storage dirs) once `parentPid` is
 * gone without its teardown having run (vitest killed). apps/server's global setup uses it too.
 * The teardown kills the returned process after stopping everything itself.
 */
export function watchForStrays(parentPid: number, prefix = storagePrefix()): ChildProcess {
  const watchdog = spawn(
    process.execPath,
    [join(import.meta.dirname, "stray-watchdog.mjs"), String(parentPid), prefix],
    { detached: true, stdio: "ignore" },
  );
  watchdog.unref();
  return watchdog;
}
