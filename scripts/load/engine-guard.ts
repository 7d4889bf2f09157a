// The embedded engine must not outlive the load process that started it, however that process
// ends. RivetKit spawns the engine in its own process group and leaves it running on purpose when
// the server exits; the server stops it on SIGINT/SIGTERM, but not when it is SIGKILLed — which is
// what the cluster's watchdog (scripts/cluster/process.ts) does to the server once the load process
// is gone, and what tsx's signal relay did to the load process itself when it was slow to
// acknowledge a Ctrl-C (an engine left running, seen with `timeout -s INT 660 pnpm load …`). So a
// detached guard watches the load process and, once it has died without stopping its server,
// SIGKILLs that server and the engine of its storage dir, then removes the temp dir. Only pids
// proven to be this run's are signalled: the server's command line names the run's temp dir, and
// the engine is the one whose pid the dir's RivetKit stamp records and whose command line is
// `rivet-engine`.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { engineStampPath } from "../../apps/server/src/engine.ts";

/** A running guard; `dismiss` once the server and engine were stopped in order. */
export interface EngineGuard {
  dismiss(): void;
}

/** The kernel's start time of a process (clock ticks since boot), to tell a reused pid apart. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

// Plain JavaScript for `node -e`: polls every 250 ms; exits when the dir is gone (stopped in order).
const SCRIPT = `
const fs = require("node:fs");
const [parent, parentStart, serverPid, dir, stamp] = process.argv.slice(1);
const read = (file) => { try { return fs.readFileSync(file, "utf8"); } catch { return ""; } };
const startOf = (pid) => { const s = read("/proc/" + pid + "/stat"); return s && s.slice(s.lastIndexOf(")") + 2).split(" ")[19]; };
const cmdline = (pid) => read("/proc/" + pid + "/cmdline").split("\\0").join(" ");
const kill = (pid) => { try { process.kill(Number(pid), "SIGKILL"); } catch {} };
const timer = setInterval(() => {
  if (!fs.existsSync(dir)) { clearInterval(timer); return; }
  if (startOf(parent) === parentStart) return;
  clearInterval(timer);
  if (cmdline(serverPid).includes(dir)) kill(serverPid);
  let engine;
  try { engine = JSON.parse(read(stamp)).pid; } catch {}
  if (typeof engine === "number" && cmdline(engine).includes("rivet-engine")) kill(engine);
  fs.rmSync(dir, { recursive: true, force: true });
}, 250);`;

/** Starts the guard of one embedded server (its temp dir, storage dir and server pid). */
export function guardEngine(run: { dir: string; storage: string; serverPid: number }): EngineGuard {
  const parentStart = startTime(process.pid);
  if (parentStart === undefined) throw new Error("no /proc: cannot guard the embedded engine");
  const guard = spawn(
    process.execPath,
    [
      "-e",
      SCRIPT,
      String(process.pid),
      parentStart,
      String(run.serverPid),
      run.dir,
      engineStampPath(run.storage),
    ],
    { detached: true, stdio: "ignore" },
  );
  guard.unref();
  return { dismiss: () => guard.kill() };
}
