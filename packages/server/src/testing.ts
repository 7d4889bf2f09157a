// Test support: a Warden registry on its own Rivet Engine (storage dir and ports), stopped after.
// RivetKit leaves the engine it spawns running on purpose; its pid is in the runtime stamp.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWarden, type WardenOptions } from "./registry.ts";

/** A storage dir and the engine's guard port; the engine also binds port + 1 and port + 10. */
export interface EngineSlot {
  readonly storagePath: string;
  readonly port: number;
  readonly endpoint: string;
  /** The engine's admin token: its API (`/actors`, `/namespaces`, …) answers nothing without it. */
  readonly adminToken: string;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Picks a guard port whose +1 and +10 neighbours are free too. */
export async function findEnginePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await Promise.all([port, port + 1, port + 10].map(canBind));
    if (free.every(Boolean)) return port;
  }
  throw new Error("no free engine port triple found");
}

/** Reserves a storage dir and ports and points RivetKit at them through the environment. */
export async function allocateEngine(prefix = "warden-rivet-"): Promise<EngineSlot> {
  const storagePath = await mkdtemp(join(tmpdir(), prefix));
  const port = await findEnginePort();
  process.env.RIVETKIT_STORAGE_PATH = storagePath;
  process.env.RIVET_RUN_ENGINE_PORT = String(port);
  process.env.RIVET_RUN_ENGINE_HOST = "127.0.0.1";
  process.env.RIVET_RUN_SERVICES = "0";
  // As apps/server does: no CPU admission control on the embedded engine. With it, a loaded
  // 2-core machine stops admitting new actors for 15–30 s (docs/rivetkit-findings.md).
  process.env.RIVET__RUNTIME__WORKER_CPU_MAX ??= "64000";
  // As apps/server does: the engine's API needs a token; runners (RIVET_TOKEN) have it, clients
  // reach actors through the gateway without one.
  const adminToken = randomBytes(24).toString("hex");
  process.env.RIVET__AUTH__ADMIN_TOKEN = adminToken;
  process.env.RIVET_TOKEN = adminToken;
  return { storagePath, port, endpoint: `http://127.0.0.1:${port}`, adminToken };
}

/** The pid RivetKit recorded for the engine it spawned in this storage dir. */
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

/** True while the process exists and is not a zombie (a zombie still answers kill(pid, 0)). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Stops the slot's engine (SIGTERM, then SIGKILL after the grace period) and deletes its storage. */
export async function stopSlotEngine(
  slot: Omit<EngineSlot, "adminToken">,
  graceMs = 5_000,
): Promise<void> {
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

/** A Warden registry running in this process on its own engine. */
export interface TestWarden {
  readonly endpoint: string;
  readonly slot: EngineSlot;
  stop(): Promise<void>;
}

/**
 * Starts Warden for a test: its own storage and ports, the registry in this process.
 * @example const server = await startTestWarden({ tokens }); …; await server.stop();
 */
export async function startTestWarden(options: WardenOptions): Promise<TestWarden> {
  const slot = await allocateEngine();
  const { registry } = createWarden(options);
  registry.config.noWelcome = true;
  await registry.startAndWait();
  return {
    endpoint: slot.endpoint,
    slot,
    async stop() {
      await registry.shutdown();
      await stopSlotEngine(slot);
    },
  };
}
