import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { prefix, removeStrayWorkspaces } from "./server-process.ts";

/** packages/server's watchdog: plain JavaScript, so this process need not load RivetKit for it. */
const WATCHDOG = resolve(import.meta.dirname, "../../../packages/server/tests/stray-watchdog.mjs");

export default function setup() {
  process.env.WARDEN_APP_TEST_RUN = `${process.pid}`;
  // A run killed from outside never reaches the teardown below: the watchdog then stops the
  // servers and engines of this run's workspaces (the cluster test has its own, in
  // scripts/cluster/process.ts).
  const watchdog = spawn(process.execPath, [WATCHDOG, String(process.pid), prefix()], {
    detached: true,
    stdio: "ignore",
  });
  watchdog.unref();
  return async () => {
    await removeStrayWorkspaces();
    watchdog.kill();
  };
}
