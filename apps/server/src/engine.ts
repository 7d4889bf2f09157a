// The Rivet Engine that RivetKit spawns is left running on purpose when the process exits; the
// server stops it itself, by the pid RivetKit records under the storage dir.
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { StartError } from "./errors.ts";

/** Where RivetKit records the engine it spawned for a storage dir. */
export function engineStampPath(storage: string): string {
  return join(storage, ".rivetkit/var/engine/runtime.json");
}

/** The pid of the engine serving this storage dir, if one is alive. */
export async function findEngine(storage: string): Promise<number | undefined> {
  let pid: unknown;
  try {
    pid = JSON.parse(await readFile(engineStampPath(storage), "utf8")).pid;
  } catch {
    return undefined;
  }
  return typeof pid === "number" && (await isEngine(pid)) ? pid : undefined;
}

/** True while the process exists and is not a zombie (a zombie still answers `kill(pid, 0)`). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** A stale stamp's pid may belong to another program by now: check before signalling it. */
async function isEngine(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("rivet-engine") && (await isRunning(pid));
  } catch {
    return false;
  }
}

/** Stops an engine: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopEngine(pid: number, graceMs = 5_000): Promise<void> {
  if (!(await isRunning(pid))) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while ((await isRunning(pid)) && Date.now() < deadline) await sleep(25);
  if (await isRunning(pid)) process.kill(pid, "SIGKILL");
}

/**
 * Refuses ports held by another program. RivetKit silently reuses any healthy engine on its
 * port, with that engine's storage; only this storage dir's own engine may be reused.
 */
export async function checkPorts(host: string, port: number, storage: string): Promise<void> {
  if (await findEngine(storage)) return;
  for (const candidate of [port, port + 1, port + 10]) {
    if (!(await canBind(host, candidate))) {
      throw new StartError(
        "port_in_use",
        `port ${candidate} on ${host} is in use (the engine needs ${port}, ${port + 1} and ${port + 10}); choose another \`enginePort\` or stop what holds it`,
      );
    }
  }
}

/** Refuses a front port held by another program (the engine's own old port included). */
export async function checkFrontPort(host: string, port: number): Promise<void> {
  if (!(await canBind(host, port))) {
    throw new StartError(
      "port_in_use",
      `port ${port} on ${host} is in use; choose another \`port\` or stop what holds it (an engine left by an older Warden on that port: stop it)`,
    );
  }
}

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
