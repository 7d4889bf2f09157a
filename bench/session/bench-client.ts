import type { createClient } from "rivetkit/client";
import { openConnection } from "./connections.ts";
import { BENCH_PROJECT, type BenchRegistry } from "./registry.ts";
import { interleave, type Plan, summarize, type Trial } from "./stats.ts";

export type BenchClient = ReturnType<typeof createClient<BenchRegistry>>;
/** Metric name → value (ms, kB, bytes or a ratio). */
export type Metrics = Record<string, number>;
/** What every measurement works with. */
export interface Bench {
  readonly client: BenchClient;
  readonly metrics: Metrics;
}

/** Connection params of the bench's agent and approver (tokens from `BENCH_TOKENS`). */
export const AGENT = { token: "bench-agent" };
export const APPROVER = { token: "bench-approver" };

/** A connection to a session of the bench project, opened in the background. */
export const session = (client: BenchClient, sessionId: string, params: { token: string }) =>
  client.permissionSession.getOrCreate([BENCH_PROJECT, sessionId], { params }).connect();
/** A connection to a bare actor, opened in the background. */
export const bareActor = (client: BenchClient, key: string) =>
  client.bare.getOrCreate([key]).connect();

/** Progress detail on stderr with `WARDEN_BENCH_DEBUG=1`. */
export const debug = (line: string) => {
  if (process.env.WARDEN_BENCH_DEBUG === "1") process.stderr.write(`    ${line}\n`);
};

/** Runs the trials interleaved; a failed trial is counted in `failed_trials`, logged and redone. */
export function run<K extends string>({ metrics }: Bench, trials: Record<K, Trial>, plan: Plan) {
  return interleave(trials, plan, (trial, error) => {
    metrics.failed_trials = (metrics.failed_trials ?? 0) + 1;
    process.stderr.write(
      `    ${trial} failed and is redone: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  });
}

/** An agent's connection to a session, once it has answered. */
export const agentOf = (client: BenchClient, sessionId: string) =>
  openConnection(() => {
    const conn = session(client, sessionId, AGENT);
    return { conn, ready: () => conn.getUsage() };
  });

/** A connection to a bare actor, once it has answered. */
export const bareOf = (client: BenchClient, key: string) =>
  openConnection(() => {
    const conn = bareActor(client, key);
    return { conn, ready: () => conn.ping(0) };
  });

/** Rounds a metric for the report. */
/** Waits until a bench server behind `client` answers (a runner just started), for up to 60 s. */
export async function untilServing(client: BenchClient): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.bare.getOrCreate(["ready"]).ping(0);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

/** Puts the median and p99 (ms) of `samples` under `<name>_ms` and `<name>_p99_ms`. */
export function record(metrics: Metrics, name: string, samples: readonly number[]): number {
  const { median, p99 } = summarize(samples);
  metrics[`${name}_ms`] = round(median);
  metrics[`${name}_p99_ms`] = round(p99);
  return median;
}
