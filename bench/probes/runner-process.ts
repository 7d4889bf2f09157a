// The probes' runner process (runner.ts hosts the probe registry): started, killed and restarted
// by crash.ts and schedule-restart.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const RUNNER = fileURLToPath(new URL("./runner.ts", import.meta.url));

/** Starts a runner; resolves once it printed READY, with how long that took. */
export function startRunner(): Promise<{ child: ChildProcess; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", RUNNER], {
    env: process.env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      if (String(d).includes("READY")) resolve({ child, ms: Math.round(performance.now() - t0) });
    });
    child.once("exit", (code) => reject(new Error(`runner exited ${code}`)));
  });
}

/** Sends `signal` to a runner and resolves once it exited. */
export function stopRunner(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  return exited;
}
