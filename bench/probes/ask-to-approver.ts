// Ask → first approver with many sessions asking at once: N sessions (created first) each open
// one ask together; an approver connected to the project times each `inboxChanged` "pending"
// from the moment its ask was sent, then answers them all and times each "resolved".
// Agents hold a connection each (as the SDK does), so their sessions stay awake.
// Run from the repository root:
//   UV_THREADPOOL_SIZE=256 RIVET_LOG_LEVEL=silent RUST_LOG=off SESSIONS=100 ROUNDS=3 \
//   node --import tsx bench/probes/ask-to-approver.ts
// (the runner's native core holds a libuv worker thread per awake actor: with the default pool of
// 4, new sessions stop being created after a few are awake).
import { policySource } from "@warden/rules";
import { createClient } from "rivetkit/client";
import type { InboxChange, WardenRegistry } from "../../packages/server/src/index.ts";
import { startTestWarden } from "../../packages/server/src/testing.ts";

const SESSIONS = Number(process.env.SESSIONS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const project = "load";

const server = await startTestWarden({
  tokens: {
    agent: { id: "agent", role: "agent", projects: [project] },
    approver: { id: "approver", role: "approver", projects: [project] },
  },
  policy: {
    defaultProject: policySource({
      default_behavior: "ask",
      ask: { timeout_seconds: 300 },
      rules: [{ tool: "Read", behavior: "allow" }],
    }),
  },
});
try {
  const client = createClient<WardenRegistry>(server.endpoint);
  const session = (token: string, id: string) =>
    client.permissionSession.getOrCreate([project, id], { params: { token } });
  const ids = Array.from({ length: SESSIONS }, (_, i) => `s-${i}`);

  /** Sends again what the engine never delivered (a new actor on a loaded box may not be routed). */
  async function resent<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        if (attempt >= 5 || !/route_resolve|actor_ready_timeout|service_unavailable/.test(code))
          throw error;
      }
    }
  }

  async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<unknown>) {
    for (let start = 0; start < items.length; start += size)
      await Promise.all(items.slice(start, start + size).map(run));
  }

  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  };
  const summary = (xs: number[]) =>
    `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

  const created = performance.now();
  const agents = new Map(ids.map((id) => [id, session("agent", id).connect()]));
  await inBatches(ids, 10, (id) =>
    resent(() =>
      agents.get(id)!.requestPermission({
        requestId: `warm-${id}`,
        toolName: "Read",
        input: { file_path: "a" },
      }),
    ),
  );
  console.log(
    `${SESSIONS} sessions created in ${((performance.now() - created) / 1000).toFixed(1)} s`,
  );

  const inbox = client.wardenProject
    .getOrCreate([project], { params: { token: "approver" } })
    .connect();
  const seen = new Map<string, (change: InboxChange) => void>();
  inbox.on("inboxChanged", (change: InboxChange) => {
    const key = `${change.kind} ${change.request?.requestId ?? change.requestId}`;
    seen.get(key)?.(change);
  });
  await inbox.listInbox();

  const asks: number[] = [];
  const replies: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const opened = ids.map((id) => {
      const requestId = `ask-${round}-${id}`;
      const started = performance.now();
      const heard = new Promise<InboxChange>((resolve) =>
        seen.set(`pending ${requestId}`, resolve),
      );
      const asked = agents.get(id)!.requestPermission({
        requestId,
        toolName: "Bash",
        input: { command: `make ${round}` },
        waitMs: 0,
      });
      return heard.then((change) => {
        asks.push(performance.now() - started);
        return { id, requestId, change, asked };
      });
    });
    const all = await Promise.all(opened);
    await Promise.all(
      all.map(async ({ id, requestId, change }) => {
        const started = performance.now();
        const heard = new Promise((resolve) => seen.set(`resolved ${requestId}`, resolve));
        await resent(() =>
          session("approver", id).respondPermission(id, change.permissionId, "once"),
        );
        await heard;
        replies.push(performance.now() - started);
      }),
    );
    console.log(`round ${round + 1}: asks ${summary(asks.slice(-SESSIONS))}`);
  }
  console.log(`ask → first approver (${SESSIONS} sessions × ${ROUNDS}): ${summary(asks)}`);
  console.log(`reply → approver hears it resolved: ${summary(replies)}`);
  await inbox.dispose();
  for (const agent of agents.values()) await agent.dispose();
  await client.dispose();
} finally {
  await server.stop();
}
process.exit(0);
