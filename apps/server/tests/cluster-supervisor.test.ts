// The cluster's runner supervisor (scripts/cluster/runner.ts) on real processes: a runner that
// dies is started again, also when it dies again before it joined the engine. (It once stopped
// supervising after a relaunch that ended before joining: one runner fewer for the rest of a
// cluster test, which no check saw.) One engine node on a private PostgreSQL and NATS, one runner.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Cluster, startCluster } from "../../../scripts/cluster/index.ts";
import { waitUntil } from "../../../scripts/cluster/process.ts";
import { type WardenSetup, writeWardenConfig } from "../../../scripts/cluster/warden-config.ts";

let setup: WardenSetup;
let cluster: Cluster;

beforeAll(async () => {
  setup = writeWardenConfig({ fleet: { default_behavior: "ask" } });
  cluster = await startCluster({
    runnerConfig: setup.configFile,
    engines: 1,
    runners: 1,
    durable: false,
  });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
}, 60_000);

/** The runner processes this test process started (the supervisor spawns them directly). */
function runnerPids(): number[] {
  return spawnSync("ps", ["--ppid", String(process.pid), "-o", "pid=,args="], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((line) => line.includes("apps/server/src/main.ts"))
    .map((line) => Number.parseInt(line.trim(), 10));
}

test("a runner killed, then killed again before it joined, is started until it joins", async () => {
  const runner = cluster.runners[0]!;
  const first = runner.child;
  first.process.kill("SIGKILL");
  // The supervisor's next runner, killed the moment it exists: long before it could join.
  const second = await waitUntil(
    "the supervisor to start the runner again",
    () => runnerPids().find((pid) => pid !== first.pid),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
  process.kill(second, "SIGKILL");
  const third = await waitUntil(
    "a third runner to join the engine",
    () =>
      runner.child.pid !== first.pid &&
      runner.child.pid !== second &&
      /warden: runner joined/.test(runner.child.output())
        ? runner.child
        : undefined,
    { timeoutMs: 60_000 },
  );
  expect(third.alive()).toBe(true);
  // The second never joined: the runner's log (all its incarnations) holds two joins.
  const joins = () => readFileSync(third.logFile, "utf8").match(/warden: runner joined/g)?.length;
  // (The log is written asynchronously: wait for the third's line to reach it.)
  await waitUntil("the third join in the log", () => ((joins() ?? 0) >= 2 ? true : undefined), {
    timeoutMs: 5_000,
  });
  expect(joins()).toBe(2);
  // Both kills were not asked for through the runner's own stop/kill: recorded as crashes.
  expect(runner.crashes).toEqual(["SIGKILL", "SIGKILL"]);
}, 120_000);
