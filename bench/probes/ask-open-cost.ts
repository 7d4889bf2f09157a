// What an ask's open costs the engine's storage, step by step, one session at a time (nothing
// else runs): SQLite commits and storage transactions by name (1) from the agent's call until an
// approver on the project's inbox has heard of the ask (the counters read then: a commit that
// finished within that read's few milliseconds counts here too), then (2) until the action
// returned (its expiry alarm armed) and 1.5 s more (the project's group commit, the connection's). The first ask of a wake arms the session's alarm; the second reuses it.
// Run from the repository root, under the heavy-run lock:
//   flock /tmp/warden-heavy.lock node --import tsx bench/probes/ask-open-cost.ts
// SESSIONS (10) sessions, each warmed by a rule-settled call, then asked twice.
import { loadavg } from "node:os";
import { policySource } from "@warden/rules";
import { createClient } from "rivetkit/client";
import type { InboxChange, WardenRegistry } from "../../packages/server/src/index.ts";
import { startTestWarden } from "../../packages/server/src/testing.ts";
import { engineCounters } from "./engine-counters.ts";

const SESSIONS = Number(process.env.SESSIONS ?? 10);
const project = "cost";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

console.log(
  `load average at start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
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
const metricsUrl = `http://127.0.0.1:${server.slot.port + 10}/metrics`;
const client = createClient<WardenRegistry>(server.endpoint);
try {
  const inbox = client.wardenProject
    .getOrCreate([project], { params: { token: "approver" } })
    .connect();
  const heard = new Map<string, () => void>();
  inbox.on("inboxChanged", (change: InboxChange) => {
    if (change.kind === "pending") heard.get(change.request?.requestId ?? "")?.();
  });
  await inbox.listInbox();

  const agents = new Map<string, ReturnType<typeof connectAgent>>();
  function connectAgent(id: string) {
    return client.permissionSession
      .getOrCreate([project, id], { params: { token: "agent" } })
      .connect();
  }
  const add = (into: Map<string, number>, a: Map<string, number>, b: Map<string, number>) => {
    for (const [name, n] of b) into.set(name, (into.get(name) ?? 0) + n - (a.get(name) ?? 0));
  };
  const print = (label: string, sums: Map<string, number>, n: number) => {
    const per = [...sums].map(([name, v]) => [name, v / n] as const).filter(([, v]) => v >= 0.05);
    const tx = per.filter(([name]) => !name.startsWith("(")).reduce((s, [, v]) => s + v, 0);
    console.log(
      `${label}: ${(sums.get("(sqlite commit)") ?? 0) / n} sqlite commits, ${tx.toFixed(2)} storage tx per ask`,
    );
    console.log(
      `  ${per
        .sort((x, y) => y[1] - x[1])
        .map(([name, v]) => `${name} ${v.toFixed(2)}`)
        .join(", ")}`,
    );
  };

  for (const round of [1, 2]) {
    const steps = [new Map<string, number>(), new Map<string, number>()] as const;
    for (let i = 0; i < SESSIONS; i++) {
      const id = `s-${i}`;
      if (!agents.has(id)) agents.set(id, connectAgent(id));
      const agent = agents.get(id)!;
      if (round === 1) {
        await agent.requestPermission({ requestId: `warm-${id}`, toolName: "Read", input: {} });
        await sleep(2_500);
      }
      const requestId = `ask-${round}-${id}`;
      const announced = new Promise<void>((resolve) => heard.set(requestId, resolve));
      const before = await engineCounters(metricsUrl);
      const asked = agent.requestPermission({
        requestId,
        toolName: "Bash",
        input: { command: `make ${round}` },
        waitMs: 0,
      });
      await announced;
      const heardAt = await engineCounters(metricsUrl);
      await asked;
      // The project's group commit and the agent connection's own commit follow the event.
      await sleep(1_500);
      const after = await engineCounters(metricsUrl);
      add(steps[0], before, heardAt);
      add(steps[1], heardAt, after);
    }
    print(`ask ${round}, call → an approver on the inbox heard it`, steps[0], SESSIONS);
    print(`ask ${round}, heard → action returned (+1.5 s)`, steps[1], SESSIONS);
  }
  await inbox.dispose();
  for (const agent of agents.values()) await agent.dispose();
} finally {
  await client.dispose();
  await server.stop();
}
console.log(
  `load average at end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
process.exit(0);
