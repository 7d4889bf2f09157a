// Gives each test run its own Rivet Engine (storage dir + ports) and stops it afterwards.
// RivetKit leaves the engine it spawns running on purpose; the pid is in its runtime stamp.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EngineSlot {
  storagePath: string;
  /** Guard port (clients and runners); the engine also binds port + 1 (api-peer) and port + 10 (metrics). */
  port: number;
  endpoint: string;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Picks a guard port below the ephemeral range whose +1 and +10 neighbours are also free. */
async function findEnginePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await Promise.all([port, port + 1, port + 10].map(canBind));
    if (free.every(Boolean)) return port;
  }
  throw new Error("no free engine port triple found");
}

/** Storage dirs of one `vitest run` share this prefix so global teardown can find strays. */
function storagePrefix(): string {
  return `warden-rivet-${process.env.WARDEN_TEST_RUN_ID ?? process.pid}-`;
}

/** Reserves a storage dir and ports and points RivetKit at them through the environment. */
export async function allocateEngine(): Promise<EngineSlot> {
  const storagePath = await mkdtemp(join(tmpdir(), storagePrefix()));
  const port = await findEnginePort();
  process.env.RIVETKIT_STORAGE_PATH = storagePath;
  process.env.RIVET_RUN_ENGINE_PORT = String(port);
  process.env.RIVET_RUN_ENGINE_HOST = "127.0.0.1";
  process.env.RIVET_RUN_SERVICES = "0";
  // As apps/server does: no CPU admission control on the embedded engine (docs/server.md).
  process.env.RIVET__RUNTIME__WORKER_CPU_MAX ??= "64000";
  return { storagePath, port, endpoint: `http://127.0.0.1:${port}` };
}

/** The pid RivetKit recorded for the engine it spawned in this slot. */
export async function readEnginePid(storagePath: string): Promise<number | undefined> {
  try {
    const stamp = JSON.parse(
      await readFile(join(storagePath, ".rivetkit/var/engine/runtime.json"), "utf8"),
    );
    return typeof stamp.pid === "number" ? stamp.pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie (a zombie child still answers kill(pid, 0)). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
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
export async function stopEngine(slot: EngineSlot, { graceMs = 5_000 } = {}): Promise<void> {
  await stopRecordedRunners(slot.storagePath);
  const pid = await readEnginePid(slot.storagePath);
  if (pid !== undefined && (await isRunning(pid))) {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while ((await isRunning(pid)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    if (await isRunning(pid)) process.kill(pid, "SIGKILL");
  }
  await rm(slot.storagePath, { recursive: true, force: true });
}

/** Stops every engine this run left behind (a crashed or timed-out test file skips its afterAll). */
export async function stopStrayEngines(): Promise<void> {
  const prefix = storagePrefix();
  const dirs = (await readdir(tmpdir())).filter((name) => name.startsWith(prefix));
  await Promise.all(
    dirs.map((name) => stopEngine({ storagePath: join(tmpdir(), name), port: 0, endpoint: "" })),
  );
}
