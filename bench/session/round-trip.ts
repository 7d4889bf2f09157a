import {
  AGENT,
  agentOf,
  type Bench,
  bareActor,
  bareOf,
  record,
  round,
  run,
  session,
} from "./bench-client.ts";
import { call, closeAll } from "./connections.ts";
import { type Plan, timed } from "./stats.ts";

/** An auto-allowed `requestPermission` vs a bare action that saves state, and one that does not. */
export async function measureRoundTrip(bench: Bench, plan: Plan) {
  const { client, metrics } = bench;
  const agent = await agentOf(client, "roundtrip");
  const bare = await bareOf(client, "roundtrip");
  const input = { file_path: "src/index.ts" };
  let requests = 0;
  const samples = await run(
    bench,
    {
      warden: timed(async () => {
        const outcome = await call(
          "requestPermission",
          agent.requestPermission({ requestId: `rt-${requests++}`, toolName: "Read", input }),
        );
        if (outcome.status !== "decided" || outcome.decision.behavior !== "allow")
          throw new Error(`expected Read to be allowed, got ${JSON.stringify(outcome)}`);
      }),
      echo: timed(() => call("echo", bare.echo(input))),
      ping: timed(() => call("ping", bare.ping(input))),
    },
    plan,
  );
  const warden = record(metrics, "roundtrip", samples.warden);
  const echo = record(metrics, "bare_roundtrip", samples.echo);
  const ping = record(metrics, "bare_ping", samples.ping);
  metrics.roundtrip_ratio = round(warden / echo);
  metrics.roundtrip_ping_ratio = round(warden / ping);
  await closeAll([agent, bare]);
}

/** A new session (getOrCreate, connect, first action) vs a new bare actor. */
export async function measureCreate(bench: Bench, plan: Plan) {
  const { client, metrics } = bench;
  const timeFirstAction = async (
    conn: { dispose(): Promise<unknown> },
    first: Promise<unknown>,
  ) => {
    const start = performance.now();
    await call("first action", first);
    const ms = performance.now() - start;
    await closeAll([conn]);
    return ms;
  };
  let created = 0;
  const samples = await run(
    bench,
    {
      warden: () => {
        const conn = session(client, `new-${created++}`, AGENT);
        return timeFirstAction(conn, conn.getUsage());
      },
      bare: () => {
        const conn = bareActor(client, `new-${created++}`);
        return timeFirstAction(conn, conn.ping(0));
      },
    },
    plan,
  );
  const warden = record(metrics, "create_session", samples.warden);
  const bare = record(metrics, "create_bare", samples.bare);
  metrics.create_ratio = round(warden / bare);
}
