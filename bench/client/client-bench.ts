/**
 * The `client` section of `pnpm bench`: a check the SDK decides locally (fast path), the same
 * check decided by the session actor (fast path off), and a bare RivetKit action on the same kind
 * of connection, each against a real Warden server on its own engine. The server runs in its own
 * process (apps/server, as `pnpm load` starts it): in the measured process it recorded the
 * reports on the same event loop as the agent's calls, and its work landed in their timings.
 */
import { createWardenClient } from "../../packages/client/src/index.ts";
import { startEmbeddedServer } from "../../scripts/load/embedded-server.ts";
import { runInChild } from "../lib/child-run.ts";

const CALL = { toolName: "Read", input: { file_path: "src/index.ts" } };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Local decisions made, then waited for until all are in the audit log. */
const AUDITED = 5_000;

async function sample(iterations: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const ns: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await run(i);
    ns.push(Number(process.hrtime.bigint() - start));
  }
  return median(ns);
}

/** Measures in this process; medians in ns (run by `client-bench-run.ts` in a child process). */
export async function measureClient(options: {
  log: (line: string) => void;
}): Promise<Record<string, number>> {
  const { log } = options;
  const server = await startEmbeddedServer({
    approvers: 0,
    project: "bench",
    policy: { rules: [{ tool: "Read", behavior: "allow" }] },
  });
  const target = { endpoint: server.endpoint, token: server.agentToken, project: "bench" };
  const fast = createWardenClient(target);
  const slow = createWardenClient({ ...target, fastPath: "off" });
  try {
    const local = fast.session("bench-local");
    await local.requestPermission(CALL);
    for (let i = 0; i < 200 && !local.localPolicy.fresh; i++)
      await new Promise((r) => setTimeout(r, 50));
    if (!local.localPolicy.fresh) throw new Error("the SDK never got a fresh policy");
    await local.flush();

    // Each local decision is also queued for the audit log (batched in the background): the
    // first figure is the agent's wait, the second the time until the actor has recorded them.
    log("client: locally decided check (2,000 calls)");
    await sample(200, () => local.requestPermission(CALL));
    const localNs = await sample(2_000, () => local.requestPermission(CALL));
    await local.flush();
    log(`client: ${AUDITED.toLocaleString("en")} local decisions into the audit log`);
    const auditStart = process.hrtime.bigint();
    for (let i = 0; i < AUDITED; i++) await local.requestPermission(CALL);
    await local.flush();
    const auditedNs = Number(process.hrtime.bigint() - auditStart) / AUDITED;
    await fast.dispose();

    const remote = slow.session("bench-remote");
    await remote.requestPermission(CALL);
    log("client: actor-decided check (300 calls)");
    await sample(20, () => remote.requestPermission(CALL));
    const actorNs = await sample(300, () => remote.requestPermission(CALL));

    log("client: bare RivetKit action on a connection (300 calls)");
    const conn = await remote.connection();
    await sample(20, () => conn.getUsage());
    const bareNs = await sample(300, () => conn.getUsage());

    return {
      local_check_ns: localNs,
      audited_local_ns: auditedNs,
      actor_check_ns: actorNs,
      bare_action_ns: bareNs,
      actor_over_local: actorNs / localNs,
      bare_over_local: bareNs / localNs,
      actor_over_bare: actorNs / bareNs,
    };
  } finally {
    await Promise.race([
      Promise.all([fast.dispose(), slow.dispose()]),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
    await server.stop();
  }
}

/** Runs the section in a child process (see bench/lib/child-run.ts); medians in ns. */
export function runClientBench(options: {
  log: (line: string) => void;
}): Promise<Record<string, number>> {
  return runInChild(new URL("./client-bench-run.ts", import.meta.url), "client", options.log);
}

const times = (ratio: number) => `${ratio.toFixed(ratio < 10 ? 2 : 0)}×`;

/** The section as `scripts/bench.ts` lists it. */
export const clientSection = {
  name: "client",
  run: (log: (line: string) => void) => runClientBench({ log }),
  rows: (r: Record<string, number>) => [
    {
      name: "locally decided check (fast path)",
      ns: r.local_check_ns!,
      ratio: "1.00× local",
      goal: "< 5 µs",
      pass: r.local_check_ns! < 5_000,
    },
    {
      name: "local decision into the audit log (batched)",
      ns: r.audited_local_ns!,
      ratio: `${times(r.audited_local_ns! / r.local_check_ns!)} local; ${times(r.actor_check_ns! / r.audited_local_ns!)} faster than an actor check`,
      goal: "",
    },
    {
      name: "actor-decided check",
      ns: r.actor_check_ns!,
      ratio: `${times(r.actor_over_local!)} local`,
      goal: "",
    },
    {
      name: "bare RivetKit action (getUsage)",
      ns: r.bare_action_ns!,
      ratio: `${times(r.bare_over_local!)} local; actor check ${times(r.actor_over_bare!)} bare`,
      goal: "",
    },
  ],
};
