// What one call costs the engine, by kind, on warm sessions over their connections: a no-op
// action (`listRules`, which writes nothing: the floor of RivetKit and the engine), a rule-settled
// `requestPermission` and an ask answered by an approver through the inbox, each paced (slower than
// RivetKit's 1 s save interval, as an agent that works between calls) and, for the first two, back
// to back. Per call: the engine's storage transactions by name, its SQLite commits, engine and
// runner CPU, less the idle background of the same sessions measured first.
// Run from the repository root (docs/scale.md, "What a call costs"), under the heavy-run lock:
//   flock /tmp/warden-heavy.lock node --import tsx bench/probes/call-cost.ts
// SESSIONS (4), CALLS per session and phase (15), PACE_MS (1500), BURST calls back to back (100).
import { createWardenClient } from "@warden/client";
import { startEmbeddedServer } from "../../scripts/load/embedded-server.ts";
import { cpuMs } from "../../scripts/load/proc-stats.ts";
import { engineCounters } from "./engine-counters.ts";

const SESSIONS = Number(process.env.SESSIONS ?? 4);
const CALLS = Number(process.env.CALLS ?? 15);
const PACE_MS = Number(process.env.PACE_MS ?? 1_500);
const BURST = Number(process.env.BURST ?? 100);

const target = await startEmbeddedServer({ approvers: 1 });
const agents = createWardenClient({
  endpoint: target.endpoint,
  token: target.agentToken,
  project: target.project,
  fastPath: "off",
  idleCloseMs: false,
});
const approver = createWardenClient({
  endpoint: target.endpoint,
  token: target.approverTokens[0]!,
  project: target.project,
  idleCloseMs: false,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Engine counters so far: storage transactions by name, and SQLite commits. */
const counters = () => engineCounters(target.metricsUrl!);

interface Sample {
  readonly at: number;
  readonly counters: Map<string, number>;
  readonly engine: number;
  readonly runner: number;
}
const sample = async (): Promise<Sample> => ({
  at: performance.now(),
  counters: await counters(),
  engine: cpuMs(target.enginePid) ?? Number.NaN,
  runner: cpuMs(target.runnerPid) ?? Number.NaN,
});

/** Rates per second of the idle background, set by the first measurement. */
let background: { perS: Map<string, number>; engine: number; runner: number } | undefined;

function report(label: string, a: Sample, b: Sample, calls: number) {
  const seconds = (b.at - a.at) / 1000;
  const bg = background ?? { perS: new Map<string, number>(), engine: 0, runner: 0 };
  const per = (name: string) =>
    ((b.counters.get(name) ?? 0) -
      (a.counters.get(name) ?? 0) -
      (bg.perS.get(name) ?? 0) * seconds) /
    calls;
  const names = [...b.counters.keys()].filter((name) => !name.startsWith("("));
  const total = names.reduce((sum, name) => sum + per(name), 0);
  const engine = (b.engine - a.engine - bg.engine * seconds) / calls;
  const runner = (b.runner - a.runner - bg.runner * seconds) / calls;
  console.log(
    `${label}: ${calls} calls in ${seconds.toFixed(1)} s; per call ${total.toFixed(2)} storage tx, ` +
      `${per("(sqlite commit)").toFixed(2)} sqlite commits, engine ${engine.toFixed(2)} ms, runner ${runner.toFixed(2)} ms CPU`,
  );
  const top = names
    .map((name) => [name, per(name)] as const)
    .filter(([, n]) => Math.abs(n) >= 0.1)
    .sort((x, y) => y[1] - x[1]);
  console.log(`  ${top.map(([name, n]) => `${name} ${n.toFixed(2)}`).join(", ")}`);
}

const ids = Array.from({ length: SESSIONS }, (_, i) => `cost-${i}`);
const sessions = ids.map((id) => agents.session(id));

/** Each session makes `calls` calls, `pace` ms apart (0: back to back); all sessions at once. */
async function phase(
  label: string,
  calls: number,
  pace: number,
  call: (i: number) => Promise<unknown>,
) {
  const a = await sample();
  await Promise.all(
    sessions.map(async (_, s) => {
      for (let i = 0; i < calls; i++) {
        const started = performance.now();
        await call(s);
        if (pace > 0) await sleep(pace - (performance.now() - started));
      }
    }),
  );
  const b = await sample();
  report(label, a, b, calls * SESSIONS);
}

try {
  console.log(
    `load average at start: ${(await import("node:os"))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
  // Create, connect and warm every session (its project rules read, its first row written).
  for (const session of sessions)
    await session.requestPermission({ toolName: "Bash", input: { command: "ls warm" } });
  const inbox = approver.inbox();
  await inbox.subscribe({
    onRequest: (request) => {
      void inbox
        .respond(request.sessionId, request.permissionId, "once")
        .catch((error) => console.error("respond failed", error));
    },
    onResolved: () => {},
  });
  await sleep(3_000);
  const idle0 = await sample();
  await sleep(10_000);
  const idle1 = await sample();
  const seconds = (idle1.at - idle0.at) / 1000;
  background = {
    perS: new Map(
      [...idle1.counters].map(([name, n]) => [
        name,
        (n - (idle0.counters.get(name) ?? 0)) / seconds,
      ]),
    ),
    engine: (idle1.engine - idle0.engine) / seconds,
    runner: (idle1.runner - idle0.runner) / seconds,
  };
  console.log(
    `idle background (${SESSIONS} connected sessions, an inbox subscriber): ` +
      `${[...background.perS.entries()]
        .filter(([n]) => !n.startsWith("("))
        .reduce((s, [, r]) => s + r, 0)
        .toFixed(2)} storage tx/s, ` +
      `engine ${background.engine.toFixed(1)} ms/s, runner ${background.runner.toFixed(1)} ms/s`,
  );
  let n = 0;
  await phase(`no-op (listRules), paced ${PACE_MS} ms`, CALLS, PACE_MS, (s) =>
    sessions[s]!.listRules(),
  );
  await phase(`rule-settled, paced ${PACE_MS} ms`, CALLS, PACE_MS, (s) =>
    sessions[s]!.requestPermission({ toolName: "Bash", input: { command: `ls ${n++}` } }),
  );
  await phase(`ask answered by an approver, paced ${PACE_MS} ms`, CALLS, PACE_MS, async (s) => {
    const decision = await sessions[s]!.requestPermission({
      toolName: "Bash",
      input: { command: `deploy ${n++}` },
    });
    if (decision.behavior !== "allow")
      throw new Error(`ask not allowed: ${JSON.stringify(decision)}`);
  });
  await phase("no-op (listRules), back to back", BURST, 0, (s) => sessions[s]!.listRules());
  await phase("rule-settled, back to back", BURST, 0, (s) =>
    sessions[s]!.requestPermission({ toolName: "Bash", input: { command: `ls ${n++}` } }),
  );
} finally {
  await agents.dispose({ flushMs: 0 });
  await approver.dispose();
  await target.stop();
}
