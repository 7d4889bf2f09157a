// Usage: node --import tsx apps/server/src/output-watch.ts -- <runner command…>
//
// Runs a Warden runner and reads its output for what no hook inside it can see: an actor left on
// closed storage that nobody calls shows only as RivetKit's native save ticks failing without end
// (storage-log.ts). On such an actor it SIGKILLs the runner and exits 75 (ENGINE_LOST_EXIT_CODE),
// so that the container's restart policy starts a fresh one; otherwise it ends as the runner
// ended. The output passes through unchanged. For compose (docker-compose.cluster.yml), where the
// runner is the container's only process; `pnpm cluster` and the cluster test's supervisor
// (scripts/cluster/runner.ts) read the output themselves.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { ENGINE_LOST_EXIT_CODE } from "./engine-link.ts";
import { watchSaveTicks } from "./save-tick-watch.ts";

const separator = process.argv.indexOf("--");
const [command, ...args] = separator === -1 ? [] : process.argv.slice(separator + 1);
if (command === undefined) {
  console.error("usage: output-watch.ts -- <command> [args…]");
  process.exit(2);
}

const runner = spawn(command, args, { stdio: ["inherit", "pipe", "pipe"] });
let leftover = false;
runner.stdout.pipe(process.stdout);
runner.stderr.pipe(process.stderr);
watchSaveTicks([runner.stdout, runner.stderr], (description) => {
  leftover = true;
  console.error(
    `warden: ${description}; killing the runner and exiting (${ENGINE_LOST_EXIT_CODE}) so that it is started again (docs/deploy.md)`,
  );
  runner.kill("SIGKILL");
});
// The container's stop signal is the runner's: it drains its actors before it exits.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => runner.kill(signal));
// "close", not "exit": the runner's last lines are through the pipes before this process ends.
runner.once("close", (code, signal) => {
  if (leftover) process.exit(ENGINE_LOST_EXIT_CODE);
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
