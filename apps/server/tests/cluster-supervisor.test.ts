// The cluster's runner supervisor (scripts/cluster/runner.ts) on real processes: a runner that
// dies is started again, also when it dies again before it joined the engine. (It once stopped
// supervising after a relaunch that ended before joining: one runner fewer for the rest of a
// cluster test, which no check saw.) One engine node on a private PostgreSQL and NATS, one runner.
import { rmSync } from "node:fs";
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

test("a runner killed, then killed again before it joined, is started until it joins", async () => {
  const runner = cluster.runners[0]!;
  const first = runner.child;
  first.process.kill("SIGKILL");
  const second = await waitUntil(
    "the supervisor to start the runner again",
    () => (runner.child !== first ? runner.child : undefined),
    { timeoutMs: 10_000 },
  );
  // Killed at once: it cannot have joined the engine yet (a start takes seconds).
  second.process.kill("SIGKILL");
  await second.exited;
  expect(second.output()).not.toContain("warden: runner joined");
  const third = await waitUntil(
    "a third runner to join the engine",
    () =>
      runner.child !== second && /warden: runner joined/.test(runner.child.output())
        ? runner.child
        : undefined,
    { timeoutMs: 90_000 },
  );
  expect(third.alive()).toBe(true);
  // Both kills were not asked for through the runner's own stop/kill: recorded as crashes.
  expect(runner.crashes).toEqual(["SIGKILL", "SIGKILL"]);
}, 120_000);
