/**
 * Kills the engine holding the leader lease again and again, with an ask pending in every session
 * and replies in flight, and reports how long every session took to answer again. When one stays
 * silent past `--bound`, it prints what each piece looked like (client connection status, the
 * lease, the load balancer, the engine's envoys, whether a fresh client gets through) and the
 * tails of the engines' and runners' logs, which stay in the printed directory.
 * How the leader-kill hang of docs/deploy.md was found; add CPU load to make it likelier:
 * @example node --import tsx bench/cluster/cluster-soak.ts --rounds 10 --bound 60
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { createWardenClient } from "@warden/client";
import { startCluster } from "../../scripts/cluster/index.ts";
import { writeWardenConfig } from "../../scripts/cluster/warden-config.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "10" },
    sessions: { type: "string", default: "15" },
    bound: { type: "string", default: "60" },
  },
});
const rounds = Number(values.rounds);
const boundMs = Number(values.bound) * 1000;
const ids = Array.from({ length: Number(values.sessions) }, (_, i) => `agent-${i}`);

const setup = writeWardenConfig({
  fleet: { default_behavior: "ask", ask: { timeout_seconds: 3600 } },
});
const cluster = await startCluster({ runnerConfig: setup.configFile, durable: false });
console.log(`soak: logs in ${cluster.dir}`);
const common = {
  endpoint: cluster.endpoint,
  fastPath: "off" as const,
  retry: { deadlineMs: 600_000 },
};
const agents = createWardenClient({ ...common, token: setup.agentToken, project: "fleet" });
const approvers = createWardenClient({ ...common, token: setup.approverToken, project: "fleet" });
const lost: string[] = [];

async function listed(requestIds: readonly string[]) {
  for (;;) {
    const inbox = await approvers.inbox("fleet").list();
    const have = new Set(inbox.map((r) => r.requestId));
    if (requestIds.every((id) => have.has(id))) return inbox;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function describeSilence(silent: readonly string[]) {
  for (const id of silent) {
    console.log(
      `  ${id}: approver ${approvers.session(id).status}, agent ${agents.session(id).status}`,
    );
  }
  console.log(`  lease: ${cluster.postgres.query("select * from udb_lease").trim()}`);
  console.log(`  balancer: ${JSON.stringify(cluster.balancer.backends)}`);
  const envoys = await fetch(`${cluster.endpoint}/envoys?namespace=${cluster.namespace}`, {
    headers: { authorization: `Bearer ${cluster.adminToken}` },
    signal: AbortSignal.timeout(10_000),
  }).then((r) => r.text(), String);
  console.log(`  envoys: ${envoys.slice(0, 1_500)}`);
  // A fresh client tells a server that does not answer from a client stuck on a dead connection.
  const fresh = createWardenClient({
    ...common,
    token: setup.approverToken,
    project: "fleet",
    retry: { deadlineMs: 30_000 },
  });
  await Promise.all(
    silent.map(async (id) => {
      const start = Date.now();
      const outcome = await fresh
        .session(id)
        .listPending()
        .then(() => "ok", String);
      console.log(`  fresh client, ${id}: ${outcome} after ${Date.now() - start} ms`);
    }),
  );
  await fresh.dispose().catch(() => undefined);
  for (const child of [...cluster.engines, ...cluster.runners].map((p) => p.child)) {
    const tail = readFileSync(child.logFile, "utf8").split("\n").slice(-30).join("\n");
    console.log(`----- ${child.logFile}\n${tail}`);
  }
}

for (let round = 1; round <= rounds; round++) {
  const requestIds = ids.map((id) => `${id}-r${round}`);
  ids.forEach((id, i) => {
    const requestId = requestIds[i]!;
    agents
      .session(id)
      .requestPermission({ toolName: "Bash", input: { command: `deploy ${requestId}` }, requestId })
      .catch((error: unknown) => lost.push(`${requestId}: ${String(error)}`));
  });
  const inbox = (await listed(requestIds)).filter((r) => requestIds.includes(r.requestId));
  const replies = inbox
    .filter((_, i) => i % 2 === 0)
    .map((r) =>
      approvers
        .inbox("fleet")
        .respond(r.sessionId, r.permissionId, "once")
        .catch((error: { code?: string }) => {
          if (error.code !== "already_resolved")
            lost.push(`${r.requestId} reply: ${String(error)}`);
        }),
    );
  const leader = cluster.leader();
  const killedAt = Date.now();
  await leader?.kill();
  const answered = new Map<string, number>();
  const probe = Promise.all(
    ids.map(async (id) => {
      await approvers.session(id).listPending();
      answered.set(id, Date.now() - killedAt);
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    probe.then(() => "answered"),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve("silent"), boundMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === "silent") {
    console.log(`round ${round} (${leader?.name} killed): silent past ${boundMs} ms`);
    await describeSilence(ids.filter((id) => !answered.has(id)));
    await probe;
  }
  const restarts = cluster.runners.map((r) => r.restarts).join(",");
  console.log(
    `round ${round} (${leader?.name} killed): every session answered after ${Math.max(...answered.values())} ms; runner restarts ${restarts}`,
  );
  await leader?.restart();
  await Promise.all(replies);
}
console.log(lost.length ? `lost or failed:\n${lost.join("\n")}` : "nothing lost");
await agents.dispose({ flushMs: 0 }).catch(() => undefined);
await approvers.dispose().catch(() => undefined);
await cluster.stop();
process.exit(lost.length ? 1 : 0);
