// Warden on a two-engine, two-runner cluster (pnpm cluster's topology), with runners and engines
// SIGKILLed under load: pending asks, in-flight replies and timers must survive each kill.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { type AgentDecision, createWardenClient, type WardenClient } from "@warden/client";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { listWorkflows } from "../../../scripts/cluster/engine-node.ts";
import { type Cluster, startCluster } from "../../../scripts/cluster/index.ts";
import { type WardenSetup, writeWardenConfig } from "../../../scripts/cluster/warden-config.ts";

const SESSIONS = 12;
const TIMER_SESSIONS = 3;
/** Unanswered asks in the `timers` project time out after this; each phase's fire mid-recovery. */
const TIMER_SECONDS = 20;

interface Ask {
  readonly project: "fleet" | "timers";
  readonly sessionId: string;
  readonly requestId: string;
  readonly decision: Promise<AgentDecision>;
  settled?: AgentDecision;
  failed?: unknown;
  permissionId?: string;
  reply?: "once" | "reject";
}

let setup: WardenSetup | undefined;
let cluster: Cluster;
let agents: WardenClient;
let approvers: WardenClient;
const asks: Ask[] = [];
/** Recovery time of each kill, for the log (never asserted: the box is shared). */
const recoveries: Record<string, number> = {};

const fleetIds = Array.from({ length: SESSIONS }, (_, i) => `agent-${i}`);
const timerIds = Array.from({ length: TIMER_SESSIONS }, (_, i) => `timer-${i}`);

function ask(project: Ask["project"], sessionId: string, tag: string): Ask {
  const requestId = `${sessionId}-${tag}`;
  const session = agents.session(sessionId, { project });
  const entry: Ask = {
    project,
    sessionId,
    requestId,
    decision: session.requestPermission({
      toolName: "Bash",
      input: { command: `deploy ${requestId}` },
      requestId,
    }),
  };
  entry.decision.then(
    (d) => {
      if (entry.settled) throw new Error(`${requestId} decided twice`);
      entry.settled = d;
    },
    (error: unknown) => {
      entry.failed = error;
    },
  );
  asks.push(entry);
  return entry;
}

/**
 * Awaits every ask's decision; past `boundMs` it fails naming the asks still undecided (a bound
 * for the report, far above the client's own retry and long-poll windows; never a timing check).
 */
async function decided(list: readonly Ask[], what: string, boundMs = 120_000): Promise<void> {
  await bounded(Promise.all(list.map((a) => a.decision)), boundMs, () => {
    const open = list
      .filter((a) => !a.settled && !a.failed)
      .map(
        (a) =>
          `${a.requestId} (agent ${agents.session(a.sessionId, { project: a.project }).status})`,
      );
    return `${what}: no decision for ${open.join(", ")}`;
  });
}

/** Settles with `promise`; past `boundMs` fails with `describe()` (a bound for the report). */
async function bounded<T>(
  promise: Promise<T>,
  boundMs: number,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`after ${boundMs} ms: ${describe()}`)), boundMs);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once every ask given is listed in its project's inbox; records its permission id. Past
 * `boundMs` it fails naming the asks not listed and their sessions' connection status, also while
 * a list call is still retrying (the clients' retry deadline is 600 s). A timed ask may time out
 * (deny) before the inbox showed it: measured once, when the leader engine's SIGKILL had moved
 * the `timers` project actor to the other runner and the approver's connection to it led nowhere
 * until replaced. Failing closed is a correct end for it; it is checked later.
 */
async function awaitListed(list: readonly Ask[], boundMs = 90_000): Promise<void> {
  const unlisted = () =>
    list.filter((a) => !a.permissionId && !(a.project === "timers" && a.settled));
  await polling(
    boundMs,
    async () => {
      const listed = new Map<string, string>();
      for (const project of ["fleet", "timers"] as const) {
        for (const r of await approvers.inbox(project).list())
          listed.set(r.requestId, r.permissionId);
      }
      for (const a of list) a.permissionId ??= listed.get(a.requestId);
      const failed = list.find((a) => a.failed);
      if (failed) throw failed.failed;
      return unlisted().length === 0;
    },
    () =>
      `not in the inbox: ${unlisted()
        .map(
          (a) =>
            `${a.requestId} (agent ${agents.session(a.sessionId, { project: a.project }).status})`,
        )
        .join(", ")}`,
  );
}

/**
 * Runs `check` every 200 ms until it returns true; past `boundMs` (counted across calls that hang
 * in their retries too) fails with `describe()`. A bound for the report, never a timing check.
 */
async function polling(
  boundMs: number,
  check: () => Promise<boolean>,
  describe: () => string,
): Promise<void> {
  let over = false;
  try {
    await bounded(
      (async () => {
        while (!over && !(await check())) await new Promise((r) => setTimeout(r, 200));
      })(),
      boundMs,
      describe,
    );
  } finally {
    over = true;
  }
}

const pendingFleet = () => asks.filter((a) => a.project === "fleet" && !a.reply && !a.settled);

/**
 * Every session answers again: the time from the kill until the slowest one did. Past `boundMs`
 * it fails naming the sessions still silent (a bound for the report, as in `decided`).
 */
async function recoveryAfter(killedAt: number, boundMs = 150_000): Promise<number> {
  const answered = new Set<string>();
  const sessions = [
    ...fleetIds.map((id) => ["fleet", id] as const),
    ...timerIds.map((id) => ["timers", id] as const),
  ];
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const silent = sessions.map(([, id]) => id).filter((id) => !answered.has(id));
      reject(new Error(`no answer ${boundMs} ms after the kill from ${silent.join(", ")}`));
    }, boundMs);
  });
  try {
    const times = await Promise.race([
      Promise.all(
        sessions.map(async ([project, id]) => {
          await approvers.session(id, { project }).listPending();
          answered.add(id);
          return Date.now() - killedAt;
        }),
      ),
      bound,
    ]);
    return Math.max(...times);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One failure: new asks in every session (fleet and timers), replies sent to half of the open
 * fleet asks and still in flight when `kill` runs, then the checks once the cluster answers.
 */
async function survive(
  name: string,
  kill: () => Promise<void>,
  restore: () => Promise<void>,
  { engineKilled = false } = {},
) {
  const fresh = [
    ...fleetIds.map((id) => ask("fleet", id, name)),
    ...timerIds.map((id) => ask("timers", id, name)),
  ];
  await awaitListed(fresh);
  const toAnswer = pendingFleet().filter((_, i) => i % 2 === 0);
  let killedAt = Date.now();
  const since = () => Date.now() - killedAt;
  const unanswered = new Set(toAnswer.map((a) => a.requestId));
  const replies = toAnswer.map((a, i) => {
    a.reply = i % 2 === 0 ? "once" : "reject";
    return approvers
      .inbox("fleet")
      .respond(a.sessionId, a.permissionId!, a.reply)
      .catch((error: { code?: string; metadata?: { resolution?: { reply?: string } } }) => {
        // The first attempt landed before the kill and the retry found it resolved: same reply.
        if (error.code === "already_resolved" && error.metadata?.resolution?.reply === a.reply)
          return;
        throw error;
      })
      .then(() => {
        unanswered.delete(a.requestId);
        return since();
      });
  });
  const heard = toAnswer.map((a) => a.decision.then(since));
  killedAt = Date.now();
  await kill();
  console.log(`[cluster] ${name}: killed; ${replies.length} replies in flight`);
  // Whatever fails below, the next failure starts from a whole cluster again. The killed pieces
  // come back while the checks run: nothing checked may depend on them.
  let restoration: Promise<number> | undefined;
  try {
    recoveries[name] = await recoveryAfter(killedAt);
    console.log(`[cluster] ${name}: every session answers after ${recoveries[name]} ms`);
    const restoring = Date.now();
    restoration = restore().then(() => Date.now() - restoring);
    restoration.catch(() => undefined);
    const checking = Date.now();
    const landed = Math.max(
      ...(await bounded(
        Promise.all(replies),
        120_000,
        () => `replies in flight at the kill still unanswered: ${[...unanswered].join(", ")}`,
      )),
    );
    await checkInvariants();
    const heardAt = Math.max(...(await Promise.all(heard)));
    const checked = Date.now() - checking;
    const restored = await restoration;
    // The next failure starts from a settled cluster: the killed node's workflows (actors' among
    // them) run again on a live node only after the engine's own failover of them, 30–40 s after
    // the kill (`workflowsFailedOver`). Killed again before that, the engine has two failures to
    // undo at once; that is not what a phase tests.
    const failover = engineKilled ? await cluster.workflowsFailedOver(killedAt) : undefined;
    console.log(
      `[cluster] ${name}: recovered in ${recoveries[name]} ms; the last reply in flight landed after ${landed} ms, the last agent heard its decision after ${heardAt} ms; checked in ${checked} ms, restored in ${restored} ms; ${engineKilled ? `the engine failed over the killed node's workflows after ${failover ?? "(none logged)"} ms; ` : ""}runner restarts so far ${cluster.runners.map((r) => r.restarts).join(", ")}`,
    );
  } finally {
    await (restoration ?? restore()).catch(() => undefined);
  }
}

/** What must hold after every failure. */
async function checkInvariants() {
  // A runner may exit on purpose when its engine connection is cut (and is restarted); any other
  // exit is a crash, e.g. a background task touching a stopped actor.
  for (const runner of cluster.runners)
    expect(runner.crashes, `${runner.name} crashed`).toEqual([]);
  // Every reply reached its agent, as sent; every timer fired.
  const replied = asks.filter((a) => a.reply);
  const timers = asks.filter((a) => a.project === "timers");
  await decided(replied, "replied asks");
  await decided(timers, "timed asks");
  for (const a of replied) {
    expect(a.settled, a.requestId).toMatchObject(
      a.reply === "once"
        ? { behavior: "allow", reason: "approved", input: { command: `deploy ${a.requestId}` } }
        : { behavior: "deny", reason: "rejected" },
    );
  }
  for (const a of timers)
    expect(a.settled, a.requestId).toMatchObject({ behavior: "deny", reason: "timed_out" });

  // No pending request lost: still pending for its agent, in its session and in the inbox.
  const open = pendingFleet();
  for (const a of open) expect(a.failed, a.requestId).toBeUndefined();
  await inboxHolds(open);
  for (const id of fleetIds) {
    const pending = await approvers.session(id, { project: "fleet" }).listPending();
    expect(pending.map((r) => r.requestId).sort()).toEqual(
      open
        .filter((a) => a.sessionId === id)
        .map((a) => a.requestId)
        .sort(),
    );
  }
  await checkAuditLogs();
}

/**
 * The fleet inbox lists exactly these asks. It is a view the sessions update a moment after they
 * change (batched): wait until it holds them, and past `boundMs` show the difference.
 */
async function inboxHolds(expected: readonly Ask[], boundMs = 90_000): Promise<void> {
  const want = expected.map((a) => a.permissionId!).sort();
  let listed: string[] | undefined;
  await polling(
    boundMs,
    async () => {
      listed = (await approvers.inbox("fleet").list()).map((r) => r.permissionId).sort();
      return JSON.stringify(listed) === JSON.stringify(want);
    },
    () => `the fleet inbox lists ${JSON.stringify(listed)}, expected ${JSON.stringify(want)}`,
  );
}

/** Each session's audit log holds every resolved ask once, with the decision its agent got. */
async function checkAuditLogs() {
  const sessions = [
    ...fleetIds.map((id) => ["fleet", id] as const),
    ...timerIds.map((id) => ["timers", id] as const),
  ];
  await Promise.all(
    sessions.map(async ([project, id]) => {
      const page = await approvers.session(id, { project }).getHistory({ limit: 200 });
      const logged = page.entries.map((e) => e.requestId);
      expect(new Set(logged).size, `${id} logged a request twice`).toBe(logged.length);
      const resolved = asks.filter((a) => a.sessionId === id && a.settled);
      expect(logged.sort()).toEqual(resolved.map((a) => a.requestId).sort());
      for (const entry of page.entries) {
        const agentGot = resolved.find((a) => a.requestId === entry.requestId)!.settled!;
        expect(entry.resolution?.outcome, entry.requestId).toBe(agentGot.behavior);
      }
    }),
  );
}

beforeAll(async () => {
  setup = writeWardenConfig({
    fleet: {
      default_behavior: "ask",
      rules: [{ tool: "Bash(ls *)", behavior: "allow" }],
      ask: { timeout_seconds: 3600 },
    },
    timers: { default_behavior: "ask", ask: { timeout_seconds: TIMER_SECONDS } },
  });
  cluster = await startCluster({
    runnerConfig: setup.configFile,
    durable: false,
    // The runners' warnings (actors' included) stay in their logs for a post-mortem.
    runnerEnv: { RIVET_LOG_LEVEL: "warn" },
    log: (line) => console.log(`[cluster] ${line}`),
  });
  // Agents and approvers here wait through back-to-back failures: a call may span two of them,
  // longer than the SDK's default 120 s retry deadline.
  const common = {
    endpoint: cluster.endpoint,
    fastPath: "off" as const,
    retry: { deadlineMs: 600_000 },
  };
  agents = createWardenClient({ ...common, token: setup.agentToken, project: "fleet" });
  approvers = createWardenClient({ ...common, token: setup.approverToken, project: "fleet" });
}, 180_000);

/** The engines' and runners' logs stay for a post-mortem when a test failed (or when asked to). */
let keepLogs = process.env.WARDEN_CLUSTER_KEEP_LOGS === "1";
afterEach(({ task }) => {
  if (task.result?.state !== "fail") return;
  keepLogs = true;
  // For the post-mortem: workflows the engine gave up on (an actor's workflow left dead keeps its
  // actor from ever becoming ready) and the ones still leased, as the engine sees them.
  const engine = cluster?.engines.find((e) => e.child.alive());
  for (const state of ["dead", "running"] as const) {
    try {
      if (engine) console.log(`[cluster] ${state} workflows:\n${listWorkflows(engine, state)}`);
    } catch (error) {
      console.log(`[cluster] could not list ${state} workflows: ${error}`);
    }
  }
});

afterAll(async () => {
  await agents?.dispose({ flushMs: 0 }).catch(() => undefined);
  await approvers?.dispose().catch(() => undefined);
  await cluster?.stop();
  console.log(`[cluster] recovery after each kill (ms): ${JSON.stringify(recoveries)}`);
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
  if (cluster && keepLogs) console.log(`[cluster] logs kept in ${cluster.dir}`);
  else if (cluster) rmSync(cluster.dir, { recursive: true, force: true });
}, 120_000);

describe("a two-engine, two-runner cluster", () => {
  test("runners are Warden servers in external mode: no engine of their own", () => {
    for (const runner of cluster.runners) {
      const children = spawnSync("ps", ["--ppid", String(runner.child.pid), "-o", "args="], {
        encoding: "utf8",
      }).stdout;
      expect(children).not.toContain("rivet-engine");
      expect(runner.child.output()).toContain(`runner joined ${cluster.endpoint}`);
    }
  });

  test("sessions spread over both runners, with asks pending in each", async () => {
    const first = [...fleetIds.map((id) => ask("fleet", id, "start"))];
    await awaitListed(first);
    const response = await fetch(`${cluster.endpoint}/envoys?namespace=${cluster.namespace}`, {
      headers: { authorization: `Bearer ${cluster.adminToken}` },
    });
    const { envoys } = (await response.json()) as {
      envoys: { slots: number; stop_ts: number | null }[];
    };
    const live = envoys.filter((e) => e.stop_ts === null);
    expect(live).toHaveLength(2);
    expect(live.every((e) => e.slots > 0)).toBe(true);
  }, 120_000);

  test("SIGKILL of a runner: its sessions move to the other runner intact", async () => {
    const runner = cluster.runners[0]!;
    await survive(
      "runner",
      () => runner.kill(),
      () => runner.restart(),
    );
  }, 240_000);

  test("SIGKILL of the engine holding the leader lease: the other takes over", async () => {
    const leader = cluster.leader();
    expect(leader).toBeDefined();
    await survive(
      "leader-engine",
      () => leader!.kill(),
      () => leader!.restart(),
      { engineKilled: true },
    );
  }, 240_000);

  test("SIGKILL of a runner and an engine together", async () => {
    const runner = cluster.runners[1]!;
    const engine = cluster.leader() ?? cluster.engines[0]!;
    await survive(
      "runner-and-engine",
      async () => {
        await Promise.all([runner.kill(), engine.kill()]);
      },
      async () => {
        await engine.restart();
        await runner.restart();
      },
      { engineKilled: true },
    );
  }, 240_000);

  test("every agent gets exactly one decision: the rest are answered after the failures", async () => {
    const open = pendingFleet();
    expect(open.length).toBeGreaterThan(0);
    const answering = new Set(open.map((a) => a.requestId));
    await bounded(
      Promise.all(
        open.map(async (a) => {
          a.reply = "once";
          await approvers.inbox("fleet").respond(a.sessionId, a.permissionId!, "once");
          answering.delete(a.requestId);
        }),
      ),
      60_000,
      () => `replies still unanswered: ${[...answering].join(", ")}`,
    );
    await decided(asks, "all asks", 40_000);
    expect(asks.filter((a) => a.failed)).toEqual([]);
    await inboxHolds([]);
    await checkAuditLogs();
  }, 120_000);
});
