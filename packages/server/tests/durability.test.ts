// "Whatever is acknowledged is flushed first", tested with real processes: a Warden server
// (tests/fixtures/runner.ts) is SIGKILLed with requests pending, with replies in flight, with an
// agent waiting and with a timeout due, then started again; clients retry through the recovery
// window. First the runner alone is killed (the engine survives and the next runner reconnects to
// it), then the runner and the engine together (the next runner spawns a new engine on the same
// RocksDB storage).
//
// Every recovery costs 12–40 s, so everything is checked across two crashes of one session:
//   runner A (ask timeout 90 s): decided calls, asks, an "always" rule, an admin rule; A is
//     stopped gracefully (SIGTERM).
//   runner B (ask timeout 4 s): an agent waiting, an acknowledged reply, ask D1, another reply
//     acknowledged just before the SIGKILL, then two replies sent with the SIGKILL right behind
//     them. D1 falls due while the server is down.
//   runner C (ask timeout 4 s): every check; then more decisions and rules, another agent waiting,
//     ask D2 and another reply in flight; C and the engine are SIGKILLed together. D2 falls due
//     while they are down.
//   runner D: every check again; the asks left from A time out after the recovery, by their timers.
import { cp } from "node:fs/promises";
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type {
  PermissionReply,
  RequestOutcome,
  Resolution,
  SessionRule,
  WardenRegistry,
} from "../src/index.ts";
import { agentDecision } from "../src/protocol.ts";
import {
  allocateEngine,
  type EngineSlot,
  isRunning,
  readEnginePid,
  stopEngine,
} from "./engine-harness.ts";
import {
  deliver,
  type RetryLog,
  type Runner,
  retry,
  startRunner,
  stopRunner,
} from "./fixtures/processes.ts";
import type { TokenName } from "./warden-harness.ts";

const PROJECT = "p1";
const SESSION = "s-durable";
/**
 * Ask timeouts of the runners. Asks made just before a crash under the short one fall due while
 * the actor is down (the engine declares a SIGKILLed runner lost after 7 s; its actors come back
 * 7–40 s after the kill), so they are overdue when it wakes; asks made under the main one stay
 * pending through both crashes and time out at the end.
 */
const SHORT_TIMEOUT_S = 4;
const MAIN_TIMEOUT_S = 90;
/** How long clients keep retrying after a crash before giving up. */
const RECOVERY_BUDGET_MS = 120_000;

let slot: EngineSlot;
let runner: Runner | undefined;
let client: ReturnType<typeof createClient<WardenRegistry>>;
const t0 = Date.now();
const timeline: string[] = [];
const note = (what: string) => timeline.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

const session = (token: TokenName) =>
  client.permissionSession.getOrCreate([PROJECT, SESSION], { params: { token } });
const agent = () => session("agent");
const approver = () => session("approver");
const admin = () => session("admin");

async function launch(timeoutSeconds: number, name: string) {
  runner = await startRunner(slot, { WARDEN_ASK_TIMEOUT_SECONDS: String(timeoutSeconds) });
  note(`runner ${name} (pid ${runner.pid}, ask timeout ${timeoutSeconds} s) READY`);
}

beforeAll(async () => {
  slot = await allocateEngine();
  client = createClient<WardenRegistry>(slot.endpoint);
});

afterAll(async () => {
  if (runner) await stopRunner(runner, "SIGTERM").catch(() => undefined);
  await client?.dispose().catch(() => undefined);
  // WARDEN_KEEP_LOGS=<dir> keeps the runners' and engines' logs for a post-mortem.
  if (slot && process.env.WARDEN_KEEP_LOGS)
    await cp(slot.storagePath, process.env.WARDEN_KEEP_LOGS, {
      recursive: true,
      filter: (path) => !path.includes("/engine/db"),
    }).catch(() => undefined);
  // Also SIGKILLs any runner this file started that is still alive.
  if (slot) await stopEngine(slot);
  note("runner and engine stopped");
  console.log(`durability timeline:\n  ${timeline.join("\n  ")}`);
}, 30_000);

// ---------------------------------------------------------------------------------------------
// The client's model of the session: what it was told, which must hold after every crash.

interface Call {
  readonly requestId: string;
  readonly toolName: string;
  readonly input: Record<string, unknown>;
}
interface Known {
  readonly call: Call;
  readonly permissionId: string;
  /** What the server acknowledged: a decision, or that the request is pending until expiresAt. */
  outcome: RequestOutcome;
  /** When an ask times out, as acknowledged when it was made. */
  readonly expiresAt?: number;
  /** A reply was in flight at a crash: pending or decided by that reply, until settled. */
  uncertain?: PermissionReply;
}
const known = new Map<string, Known>();

const bash = (requestId: string, command: string): Call => ({
  requestId,
  toolName: "Bash",
  input: { command },
});

/** The agent's view of a resolution, as `requestPermission` and `waitForDecision` return it. */
function decided(call: Call, permissionId: string, resolution: Resolution): RequestOutcome {
  return {
    status: "decided",
    permissionId,
    requestId: call.requestId,
    decision: agentDecision(resolution),
  };
}

/**
 * The agent asks once (no waiting); the acknowledged outcome is remembered. Set-up calls are sent
 * again only when the engine never delivered them (see `deliver`).
 */
async function ask(call: Call): Promise<RequestOutcome> {
  const outcome = await deliver(() => agent().requestPermission({ ...call, waitMs: 0 }));
  known.set(call.requestId, {
    call,
    permissionId: outcome.permissionId,
    outcome,
    ...(outcome.status === "pending" ? { expiresAt: outcome.expiresAt } : {}),
  });
  return outcome;
}

/** An approver's reply; once acknowledged, it is the request's decision. */
async function reply(requestId: string, answer: PermissionReply, options?: { rule?: string }) {
  const entry = known.get(requestId)!;
  const ack = await deliver(() =>
    approver().respondPermission(SESSION, entry.permissionId, answer, options),
  );
  entry.outcome = decided(entry.call, entry.permissionId, ack.resolution);
  return ack;
}

const rulePattern = (rules: readonly SessionRule[]) =>
  rules.map((r) => [r.tool, r.behavior, r.source]);

/**
 * Checks everything the client was told against the recovered server, retrying through the
 * recovery window: pending requests are pending with the same permissionId and expiry (or timed
 * out, once due), decisions are unchanged through `waitForDecision` and a retried
 * `requestPermission`, which decides nothing anew; the session rules are the same; the audit log
 * holds each resolved request exactly once.
 */
async function checkEverythingKnown(deadline: number, rules: SessionRule[]) {
  const usageBefore = await retry(() => agent().getUsage(), { deadline });
  await Promise.all(
    [...known.values()].map(async (entry) => {
      const { call, permissionId } = entry;
      let again = await retry(() => agent().requestPermission({ ...call, waitMs: 0 }), {
        deadline,
      });
      let looked = await retry(() => agent().waitForDecision(call.requestId, 0), { deadline });
      if (again.status === "pending" && looked.status === "decided") {
        // Its timer fired between the two reads: read again, both must now agree.
        again = await retry(() => agent().requestPermission({ ...call, waitMs: 0 }), { deadline });
        looked = await retry(() => agent().waitForDecision(call.requestId, 0), { deadline });
      }
      expect(looked, `waitForDecision(${call.requestId})`).toEqual(again);
      expect(again.permissionId, `permissionId of ${call.requestId}`).toBe(permissionId);
      if (entry.uncertain) return; // settled by settleInFlight
      if (entry.outcome.status === "decided") {
        expect(again, `decision of ${call.requestId}`).toEqual(entry.outcome);
      } else if (again.status === "pending") {
        expect(again, `pending ${call.requestId}`).toEqual(entry.outcome);
      } else {
        // Only its timeout may settle a pending request nobody answered, and only once due.
        expect(again.decision, `${call.requestId} settled without a reply`).toMatchObject({
          behavior: "deny",
          reason: "timed_out",
        });
        expect(Date.now()).toBeGreaterThanOrEqual(entry.expiresAt!);
        entry.outcome = again;
      }
    }),
  );
  const usageAfter = await retry(() => agent().getUsage(), { deadline });
  expect(usageAfter.turns, "a retried request was evaluated again").toBe(usageBefore.turns);

  const pending = await retry(() => approver().listPending(), { deadline });
  const mustBePending = [...known.values()].filter(
    (k) => !k.uncertain && k.outcome.status === "pending",
  );
  const mayBePending = [...known.values()].filter((k) => k.uncertain);
  expect(
    pending
      .map((p) => p.permissionId)
      .filter((id) => !mayBePending.some((k) => k.permissionId === id))
      .sort(),
    "pending requests",
  ).toEqual(mustBePending.map((k) => k.permissionId).sort());
  for (const request of pending) {
    const entry = known.get(request.requestId);
    expect(entry, `unknown pending request ${request.requestId}`).toBeDefined();
    expect(request).toMatchObject({
      permissionId: entry!.permissionId,
      toolName: entry!.call.toolName,
      input: entry!.call.input,
    });
  }

  const { rules: rulesNow } = await retry(() => admin().listRules(), { deadline });
  expect(rulesNow, "session rules").toEqual(rules);

  await checkAuditLog(deadline);
}

/** The audit log: every resolved request exactly once, with the decision the client saw. */
async function checkAuditLog(deadline: number) {
  const history = await retry(() => approver().getHistory({ limit: 500 }), { deadline });
  const count = new Map<string, number>();
  for (const entry of history.entries)
    count.set(entry.requestId, (count.get(entry.requestId) ?? 0) + 1);
  for (const [id, n] of count) expect(n, `audit entries of ${id}`).toBe(1);
  for (const entry of known.values()) {
    const logged = history.entries.find((e) => e.requestId === entry.call.requestId);
    if (entry.uncertain) continue;
    if (entry.outcome.status === "pending") {
      expect(logged, `${entry.call.requestId} is pending but logged`).toBeUndefined();
      continue;
    }
    expect(logged, `${entry.call.requestId} is missing from the audit log`).toBeDefined();
    expect(logged!.permissionId).toBe(entry.permissionId);
    expect(decided(entry.call, logged!.permissionId, logged!.resolution!)).toEqual(entry.outcome);
  }
  // Nothing nobody was told about (e.g. a second request for a retried id).
  expect(
    [...count.keys()].filter((id) => !known.has(id)),
    "unexpected audit entries",
  ).toEqual([]);
  return history.entries.length;
}

/** New calls after a recovery: the rules, old and new, still decide. */
async function checkRulesDecide(deadline: number, label: string, extra: [Call, object][] = []) {
  const cases: [Call, object][] = [
    [bash(`${label}-lint`, "npm run lint"), { behavior: "allow", reason: "rule" }],
    [bash(`${label}-clean`, "make clean"), { behavior: "deny", message: "No cleaning." }],
    [bash(`${label}-status`, "git status"), { behavior: "allow", reason: "rule" }],
    [bash(`${label}-rm`, "rm -f x"), { behavior: "deny", message: "No deleting." }],
    ...extra,
  ];
  for (const [call, decision] of cases) {
    const outcome = await retry(() => agent().requestPermission({ ...call, waitMs: 0 }), {
      deadline,
    });
    expect(outcome, `${call.requestId} decided by a rule`).toMatchObject({
      status: "decided",
      decision,
    });
    known.set(call.requestId, { call, permissionId: outcome.permissionId, outcome });
  }
}

// ---------------------------------------------------------------------------------------------
// Replies sent just before the SIGKILL, and agents waiting through it.

/** A value with BigInts made numbers, to compare what actions return with error metadata. */
const plain = <T>(value: T): T =>
  JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));

/**
 * The typed refusal of a call expected to fail, e.g. `already_resolved` with the one resolution.
 * Error metadata arrives CBOR-decoded: large integers (timestamps) come as BigInt; made numbers here.
 */
async function refusal(
  call: Promise<unknown>,
): Promise<{ code?: string; resolution?: Resolution }> {
  const error = await call.then(
    () => expect.unreachable("the call was expected to be refused"),
    (e: { code?: string; metadata?: { resolution?: unknown } }) => e,
  );
  return {
    code: error.code,
    ...(error.metadata?.resolution
      ? { resolution: plain(error.metadata.resolution as Resolution) }
      : {}),
  };
}

/** Whether a resolution is the request's timeout, at or after its expiry. */
function timedOutWhenDue(entry: Known, resolution: Resolution): boolean {
  const expiresAt = entry.expiresAt ?? Infinity;
  return resolution.decidedBy.kind === "timeout" && resolution.resolvedAt >= expiresAt;
}

interface InFlight {
  readonly requestId: string;
  readonly answer: PermissionReply;
  /** Settles with the ack or the error the approver's first attempt got. */
  readonly first: Promise<{ ack?: { resolution: Resolution }; error?: unknown }>;
}

function fireReply(requestId: string, answer: PermissionReply): InFlight {
  const entry = known.get(requestId)!;
  entry.uncertain = answer;
  const first = approver()
    .respondPermission(SESSION, entry.permissionId, answer)
    .then(
      (ack) => ({ ack }),
      (error: unknown) => ({ error }),
    );
  return { requestId, answer, first };
}

const byAlice = (answer: PermissionReply) => ({
  decidedBy: { kind: "approver", id: "alice" },
  ...(answer === "reject"
    ? { outcome: "deny", reason: "rejected" }
    : { outcome: "allow", reason: "approved" }),
});

/**
 * Exactly one decision for a reply in flight at the crash: it landed and decided the request, or
 * the request is still pending and the same reply, retried, decides it. A different reply
 * afterwards is refused with `already_resolved` naming that one decision.
 */
async function settleInFlight(flight: InFlight, deadline: number): Promise<string> {
  const entry = known.get(flight.requestId)!;
  const first = await flight.first;
  const seen = await retry(() => agent().waitForDecision(flight.requestId, 0), { deadline });
  expect(seen.permissionId).toBe(entry.permissionId);
  let branch: string;
  let resolution: Resolution;
  if (seen.status === "decided") {
    resolution = (await retry(() => approver().getRequest(entry.permissionId), { deadline }))
      .resolution!;
    if (!first.ack && timedOutWhenDue(entry, resolution)) {
      branch = "not landed; the request timed out first (slow recovery)";
    } else if (first.ack) {
      expect(resolution, "decided, but not by the reply in flight").toMatchObject(
        byAlice(flight.answer),
      );
      branch = "landed and acknowledged";
      expect(first.ack.resolution).toEqual(resolution);
    } else {
      expect(resolution, "decided, but not by the reply in flight").toMatchObject(
        byAlice(flight.answer),
      );
      branch = "landed, not acknowledged; the approver's retry is refused";
      await expect(
        refusal(
          retry(() => approver().respondPermission(SESSION, entry.permissionId, flight.answer), {
            deadline,
          }),
        ),
      ).resolves.toEqual({ code: "already_resolved", resolution: plain(resolution) });
    }
  } else {
    // It never landed: then nothing was acknowledged, and the request is still pending.
    expect(first.ack, "an acknowledged reply was lost").toBeUndefined();
    branch = "lost with the runner; the approver's retry decides";
    const retried = retry(
      () => approver().respondPermission(SESSION, entry.permissionId, flight.answer),
      { deadline },
    );
    const ack = await retried.catch(async () => {
      // On a slow machine the request's own timeout may come first: still exactly one decision.
      const refused = await refusal(retried);
      expect(refused.code).toBe("already_resolved");
      expect(timedOutWhenDue(entry, refused.resolution!)).toBe(true);
      branch = "lost with the runner; the request timed out before the retry (slow recovery)";
      return { resolution: refused.resolution! };
    });
    resolution = ack.resolution;
    if (resolution.decidedBy.kind !== "timeout")
      expect(resolution).toMatchObject(byAlice(flight.answer));
  }
  entry.outcome = decided(entry.call, entry.permissionId, resolution);
  delete entry.uncertain;
  // A second, different reply never makes a second decision.
  const other: PermissionReply = flight.answer === "reject" ? "once" : "reject";
  await expect(
    refusal(
      retry(() => admin().respondPermission(SESSION, entry.permissionId, other), { deadline }),
    ),
  ).resolves.toEqual({ code: "already_resolved", resolution: plain(resolution) });
  await expect(agent().waitForDecision(flight.requestId, 0)).resolves.toEqual(entry.outcome);
  await expect(agent().requestPermission({ ...entry.call, waitMs: 0 })).resolves.toEqual(
    entry.outcome,
  );
  const how = first.ack ? "ack" : `${(first.error as { code?: string })?.code ?? first.error}`;
  return `${branch} (first attempt: ${how})`;
}

interface Waiter {
  readonly requestId: string;
  /** The agent's long wait, started before the crash. */
  readonly first: Promise<{ outcome?: RequestOutcome; error?: unknown }>;
}

function startWaiting(requestId: string): Waiter {
  const entry = known.get(requestId)!;
  const first = agent()
    .requestPermission({ ...entry.call, waitMs: 30_000 })
    .then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
  return { requestId, first };
}

/**
 * The waiting agent keeps asking with the same requestId (retrying transient errors) until it
 * gets a decision; an approver answers after the recovery. Exactly one decision results.
 */
async function finishWaiting(waiter: Waiter, deadline: number) {
  const entry = known.get(waiter.requestId)!;
  const log: RetryLog = { attempts: 0, errors: [] };
  const agentLoop = (async () => {
    const first = await waiter.first;
    if (first.outcome) expect(first.outcome.permissionId).toBe(entry.permissionId);
    if (first.outcome?.status === "decided") return first.outcome;
    for (;;) {
      const outcome = await retry(
        () => agent().requestPermission({ ...entry.call, waitMs: 10_000 }),
        { deadline, log },
      );
      expect(outcome.permissionId, "the retry made a second request").toBe(entry.permissionId);
      if (outcome.status === "decided") return outcome;
      if (Date.now() > deadline) throw new Error(`${waiter.requestId} was never decided`);
    }
  })();
  // The approver answers once the session is back.
  const answered = retry(() => approver().respondPermission(SESSION, entry.permissionId, "once"), {
    deadline,
  });
  const ack = await answered.catch(async () => {
    // On a slow machine the request's own timeout may come first: still exactly one decision.
    const refused = await refusal(answered);
    expect(refused.code).toBe("already_resolved");
    expect(timedOutWhenDue(entry, refused.resolution!)).toBe(true);
    return { resolution: refused.resolution! };
  });
  if (ack.resolution.decidedBy.kind !== "timeout")
    expect(ack.resolution).toMatchObject(byAlice("once"));
  const outcome = await agentLoop;
  entry.outcome = decided(entry.call, entry.permissionId, ack.resolution);
  expect(outcome, "the waiting agent's decision").toEqual(entry.outcome);
  await expect(
    refusal(admin().respondPermission(SESSION, entry.permissionId, "reject")),
  ).resolves.toEqual({ code: "already_resolved", resolution: plain(ack.resolution) });
  const first = await waiter.first;
  const how = first.error
    ? `failed with ${(first.error as { code?: string }).code ?? first.error}`
    : `returned ${first.outcome?.status}`;
  return `first wait ${how}, then ${log.attempts} asks, decided ${ack.resolution.outcome}`;
}

/** The server-side view of a request that timed out. */
async function expectTimedOut(requestId: string, deadline: number, after: number) {
  const entry = known.get(requestId)!;
  const expiresAt = entry.expiresAt!;
  const outcome = await retry(
    () =>
      agent().waitForDecision(
        requestId,
        Math.min(45_000, Math.max(0, expiresAt - Date.now()) + 8_000),
      ),
    { deadline },
  );
  expect(outcome).toMatchObject({
    status: "decided",
    permissionId: entry.permissionId,
    decision: { behavior: "deny", reason: "timed_out" },
  });
  const record = await retry(() => approver().getRequest(entry.permissionId), { deadline });
  expect(record.resolution!.decidedBy).toEqual({ kind: "timeout" });
  expect(record.resolution!.resolvedAt).toBeGreaterThanOrEqual(Math.max(after, expiresAt));
  entry.outcome = outcome;
  return { expiresAt, resolvedAt: record.resolution!.resolvedAt };
}

/** SIGKILLs the runner and the engine in the same instant and waits until both are gone. */
async function killRunnerAndEngine() {
  const enginePid = await readEnginePid(slot.storagePath);
  expect(enginePid && (await isRunning(enginePid)), "the engine runs").toBeTruthy();
  runner!.child.kill("SIGKILL");
  process.kill(enginePid!, "SIGKILL");
  await runner!.exited;
  while (await isRunning(enginePid!)) await new Promise((r) => setTimeout(r, 20));
  runner = undefined;
  return enginePid!;
}

// ---------------------------------------------------------------------------------------------

// The tests are the steps of one scenario (set-up, crash, checks): they run in this order even
// when a run shuffles (`--sequence.shuffle`).
describe("a Warden server SIGKILLed mid-flight keeps everything it acknowledged", {
  shuffle: false,
}, () => {
  let rules: SessionRule[] = [];
  let inFlight: InFlight[] = [];
  let waiter: Waiter;
  let killedAt = 0;

  test("crash 1 set-up: decisions, asks, both kinds of session rule, an agent waiting, a timeout due, replies in flight; runner SIGKILLed", async () => {
    await launch(MAIN_TIMEOUT_S, "A");
    // (a) Decided by the policy's rules.
    const byRule = (decision: object) => ({
      status: "decided",
      decision: { reason: "rule", ...decision },
    });
    await expect(
      ask({ requestId: "a-read", toolName: "Read", input: { file_path: "a.txt" } }),
    ).resolves.toMatchObject(byRule({ behavior: "allow" }));
    await expect(ask(bash("a-rm", "rm -rf build"))).resolves.toMatchObject(
      byRule({ behavior: "deny", message: "No deleting." }),
    );
    await expect(ask(bash("a-status", "git status"))).resolves.toMatchObject(
      byRule({ behavior: "allow" }),
    );
    // (b) Asks: some stay pending through both crashes, some are answered now or later.
    const asks = {
      "p-test": "npm test",
      "p-deploy": "make deploy",
      "p-build": "cargo build",
      "p-pytest": "pytest",
      "p-wait": "make wait",
      "p-wait2": "make wait2",
      "p-bench": "make bench",
      "p-format": "npm run format",
      "p-last": "make last",
      "p-acked": "make acked",
      "q-lint": "npm run lint",
      "q-curl": "curl example.com",
      "q-ls": "ls -la",
    };
    for (const [id, command] of Object.entries(asks))
      await expect(ask(bash(id, command))).resolves.toMatchObject({ status: "pending" });
    // (c) A session rule from an "always" reply, and one an admin adds.
    const always = await reply("q-lint", "always", { rule: "Bash(npm run lint)" });
    expect(always.resolution.rulesAdded).toEqual({
      patterns: ["Bash(npm run lint)"],
      scope: "session",
    });
    await deliver(() =>
      admin().addRule({ tool: "Bash(make clean)", behavior: "deny", message: "No cleaning." }),
    );
    await reply("q-curl", "reject", {});
    await expect(ask(bash("a-lint", "npm run lint"))).resolves.toMatchObject(
      byRule({ behavior: "allow" }),
    );
    await expect(ask(bash("a-clean", "make clean"))).resolves.toMatchObject(
      byRule({ behavior: "deny", message: "No cleaning." }),
    );
    rules = (await deliver(() => admin().listRules())).rules;
    expect(rulePattern(rules)).toEqual([
      ["Bash(npm run lint)", "allow", "always"],
      ["Bash(make clean)", "deny", "admin"],
    ]);

    // The session moves to a runner with the short ask timeout (a graceful handover).
    await stopRunner(runner!, "SIGTERM");
    note("runner A stopped (SIGTERM)");
    await launch(SHORT_TIMEOUT_S, "B");
    // An agent waiting for a human when the runner dies.
    waiter = startWaiting("p-wait");
    await new Promise((r) => setTimeout(r, 300));
    // An acknowledged reply; (d) an ask whose timeout falls due while the server is down;
    // (e) two replies sent with the SIGKILL right behind them.
    await reply("q-ls", "once");
    await expect(ask(bash("d1", "make short-timeout"))).resolves.toMatchObject({
      status: "pending",
    });
    // (f) Rule decisions acknowledged well inside the state's save interval: durable through
    // their audit-log rows alone, their sequence numbers and turns must survive too.
    for (let i = 0; i < 5; i++) {
      await expect(ask(bash(`burst-${i}`, "git status"))).resolves.toMatchObject(
        byRule({ behavior: "allow" }),
      );
    }
    // (g) A reply acknowledged just before the SIGKILL: its audit row is its one durable write,
    // and the state saved last still holds the request pending. It must not come back pending.
    await reply("p-acked", "reject");
    inFlight = [fireReply("p-build", "once")];
    await new Promise((r) => setTimeout(r, 40));
    inFlight.push(fireReply("p-pytest", "reject"));
    await new Promise((r) => setTimeout(r, 2));
    killedAt = Date.now();
    await stopRunner(runner!, "SIGKILL");
    runner = undefined;
    note("runner B SIGKILLed");
    expect(known.get("d1")!.expiresAt).toBeGreaterThan(killedAt);
  }, 120_000);

  test("a new runner on the same engine: every pending request, decision and rule is back; the due timeout fires", async () => {
    const restartedAt = Date.now();
    await launch(SHORT_TIMEOUT_S, "C");
    const deadline = Date.now() + RECOVERY_BUDGET_MS;
    const log: RetryLog = { attempts: 0, errors: [] };
    await retry(() => agent().getUsage(), { deadline, log });
    note(`session answers again (${log.attempts} attempts: ${log.errors.join(", ")})`);
    // D1 fell due while the server was down: its timer fired after the recovery.
    const d1 = await expectTimedOut("d1", deadline, restartedAt);
    note(
      `D1 was due ${((d1.expiresAt - killedAt) / 1000).toFixed(1)} s after the kill, timed out ${((d1.resolvedAt - killedAt) / 1000).toFixed(1)} s after it`,
    );
    await checkEverythingKnown(deadline, rules);
    const { turns } = await retry(() => agent().getUsage(), { deadline });
    expect(turns, "turns after the crash").toBeGreaterThanOrEqual(known.size);
    await checkRulesDecide(deadline, "after-1");
  }, 150_000);

  test("each reply in flight at the SIGKILL ends as exactly one decision", async () => {
    const deadline = Date.now() + RECOVERY_BUDGET_MS;
    for (const flight of inFlight)
      note(
        `reply ${flight.answer} on ${flight.requestId}: ${await settleInFlight(flight, deadline)}`,
      );
    await checkAuditLog(deadline);
  }, 150_000);

  test("the agent waiting at the SIGKILL retries its requestId and ends with exactly one decision", async () => {
    const deadline = Date.now() + RECOVERY_BUDGET_MS;
    note(`waiting agent (p-wait): ${await finishWaiting(waiter, deadline)}`);
    await checkAuditLog(deadline);
  }, 150_000);

  test("crash 2 set-up: another timeout due, decisions, rules, an agent waiting, a reply in flight; runner and engine SIGKILLed together", async () => {
    await expect(
      ask({ requestId: "b-read", toolName: "Read", input: { file_path: "b.txt" } }),
    ).resolves.toMatchObject({ status: "decided", decision: { behavior: "allow" } });
    await expect(ask(bash("b-rm", "rm -f y"))).resolves.toMatchObject({
      status: "decided",
      decision: { behavior: "deny" },
    });
    await reply("p-format", "always", { rule: "Bash(npm run format)" });
    await deliver(() => admin().addRule({ tool: "Bash(echo *)", behavior: "allow" }));
    rules = (await deliver(() => admin().listRules())).rules;
    expect(rulePattern(rules)).toEqual([
      ["Bash(npm run lint)", "allow", "always"],
      ["Bash(make clean)", "deny", "admin"],
      ["Bash(npm run format)", "allow", "always"],
      ["Bash(echo *)", "allow", "admin"],
    ]);
    waiter = startWaiting("p-wait2");
    await new Promise((r) => setTimeout(r, 300));
    await reply("p-bench", "reject");
    // Runner C has the short timeout: D2 falls due while the engine and runner are down.
    await expect(ask(bash("d2", "make short-timeout-2"))).resolves.toMatchObject({
      status: "pending",
    });
    inFlight = [fireReply("p-deploy", "once")];
    await new Promise((r) => setTimeout(r, 2));
    killedAt = Date.now();
    const enginePid = await killRunnerAndEngine();
    note(`runner C and engine (pid ${enginePid}) SIGKILLed`);
    expect(known.get("d2")!.expiresAt).toBeGreaterThan(killedAt);
  }, 120_000);

  test("a new runner spawns a new engine on the same storage: everything is back again; the due timeout fires", async () => {
    const restartedAt = Date.now();
    await launch(600, "D");
    const enginePid = await readEnginePid(slot.storagePath);
    note(`new engine pid ${enginePid}`);
    const deadline = Date.now() + RECOVERY_BUDGET_MS;
    const log: RetryLog = { attempts: 0, errors: [] };
    await retry(() => agent().getUsage(), { deadline, log });
    note(`session answers again (${log.attempts} attempts: ${log.errors.join(", ")})`);
    const d2 = await expectTimedOut("d2", deadline, restartedAt);
    note(
      `D2 was due ${((d2.expiresAt - killedAt) / 1000).toFixed(1)} s after the kill, timed out ${((d2.resolvedAt - killedAt) / 1000).toFixed(1)} s after it`,
    );
    await checkEverythingKnown(deadline, rules);
    await checkRulesDecide(deadline, "after-2", [
      [bash("after-2-format", "npm run format"), { behavior: "allow", reason: "rule" }],
      [bash("after-2-echo", "echo hi"), { behavior: "allow", reason: "rule" }],
    ]);
  }, 150_000);

  test("the reply in flight and the agent waiting at the second crash end with exactly one decision each", async () => {
    const deadline = Date.now() + RECOVERY_BUDGET_MS;
    for (const flight of inFlight)
      note(
        `reply ${flight.answer} on ${flight.requestId}: ${await settleInFlight(flight, deadline)}`,
      );
    note(`waiting agent (p-wait2): ${await finishWaiting(waiter, deadline)}`);
    await checkAuditLog(deadline);
  }, 150_000);

  test("timers set before both crashes fire when due, after the recovery; the audit log has each request once", async () => {
    const deadline = Date.now() + RECOVERY_BUDGET_MS;
    const checkedAt = Date.now();
    // The asks nobody answered: made on runner A, pending through both crashes.
    const left = [...known.values()].filter((k) => k.outcome.status === "pending");
    expect(left.map((k) => k.call.requestId).sort()).toEqual(
      // (on a slow machine they may have fallen due during the second recovery already)
      ["p-last", "p-test"].filter((id) => known.get(id)!.outcome.status === "pending"),
    );
    for (const id of ["p-last", "p-test"]) {
      const { expiresAt, resolvedAt } = await expectTimedOut(id, deadline, 0);
      const dueLater = expiresAt > checkedAt;
      note(
        `${id} (timer set on runner A) timed out ${((resolvedAt - expiresAt) / 1000).toFixed(1)} s after it was due${dueLater ? "" : " (fell due during a recovery)"}`,
      );
      // A timer due while the actor runs fires on time (the alarm, not a wake-up sweep).
      if (dueLater) expect(resolvedAt - expiresAt).toBeLessThan(10_000);
    }
    await expect(retry(() => approver().listPending(), { deadline })).resolves.toEqual([]);
    const entries = await checkAuditLog(deadline);
    expect(entries).toBe(known.size);
  }, 150_000);
});
