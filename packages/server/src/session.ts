import { randomUUID } from "node:crypto";
import { actor } from "rivetkit";
import { db } from "rivetkit/db";
import { guardActor } from "./access.ts";
import {
  findLoggedPermission,
  findLoggedRequests,
  type LoggedRequest,
  migrateAuditLog,
  readAuditLog,
} from "./audit-log.ts";
import { authorize, type Principal, type TokenTable } from "./auth.ts";
import { fail } from "./errors.ts";
import { type PermissionHook, runHook } from "./hook.ts";
import {
  alarmDueBy,
  answer,
  answerDraft,
  cancel,
  decide,
  expireDue,
  lateReply,
  open,
  sweep,
} from "./lifecycle.ts";
import { batchFromWire, type KnownCall, recordLocal } from "./local-decisions.ts";
import { compileOrFail } from "./policy.ts";
import type { PolicyEnv, Reply } from "./reply-resolution.ts";
import {
  canSee,
  outcomeOf,
  publicRequest,
  type RequestRecord,
  storedRequest,
} from "./request-record.ts";
import {
  type HistoryQuery,
  HistoryQuerySchema,
  IdSchema,
  LocalDecisionBatchSchema,
  type LocalDecisionInput,
  ModeInputSchema,
  parseInput,
  ReplySchema,
  type RequestPermissionInput,
  RequestPermissionSchema,
  type RespondOptions,
  RespondOptionsSchema,
  type RuleInput,
  RuleInputSchema,
} from "./schema.ts";
import { ensureProjectRules, forgetProjectRules, sessionAccess } from "./session-access.ts";
import {
  alarmsFired,
  announceRules,
  applyEffects,
  type ConnState,
  commit,
  durable,
  type EffectDependencies,
  findRecord,
  type InflightCall,
  isLogged,
  live,
  logResolved,
  type ProjectLink,
  recoverFromAuditLog,
  run,
  type SessionContext,
  type SessionVars,
  saveNow,
  sessionPolicy,
  syncAfterWake,
  waitForResolution,
} from "./session-effects.ts";
import { parseSessionKey } from "./session-key.ts";
import {
  checkRetry,
  evaluationContext,
  findByPermissionId,
  findByRequestId,
  findOwnRequest,
  pendingRequests,
  pickRequest,
  requestKey,
  type SessionState,
  upgradeState,
} from "./session-state.ts";
import type { PermissionReply, RequestOutcome, SessionRule } from "./types.ts";

export type { SessionCreateInput } from "./session-access.ts";
export type { ProjectLink } from "./session-effects.ts";

/** How many removed session-rule ids a session remembers, so that resent removals succeed. */
const MAX_REMEMBERED_REMOVALS = 200;

/** What the session needs from the rest of the server. */
export interface SessionDependencies extends EffectDependencies {
  readonly tokens: TokenTable;
  readonly hook?: PermissionHook;
  readonly hookBudgetMs: number;
  readonly maxPending: number;
  readonly defaultWaitMs: number;
  /** The project actor, reached through the actor's own client. */
  readonly project: ProjectLink;
}

const newRuleId = () => `rule_${randomUUID().slice(0, 12)}`;
const newPermissionId = (seq: number) => `perm_${seq.toString(36)}_${randomUUID().slice(0, 8)}`;
/** The caller of an action. No connection means no principal: scheduled work needs none. */
const callerOf = (c: { conn?: { state?: ConnState } }): Principal | undefined =>
  c.conn?.state?.principal;

/** Creates the `permissionSession` actor: one per agent session, keyed `[projectId, sessionId]`. */
export function createSessionActor(deps: SessionDependencies) {
  const policyEnv = (c: SessionContext): PolicyEnv => ({
    server: deps.policy,
    compiled: sessionPolicy(c, deps.policy),
    context: evaluationContext(live(c)),
  });
  const timeoutMessage = (c: SessionContext) => {
    try {
      return sessionPolicy(c, deps.policy).settings.askTimeoutMessage;
    } catch {
      return "Nobody answered the permission request in time.";
    }
  };

  /** A retry finds its request in state, in flight, or in the log; a new id finds nothing. */
  async function knownRequest(
    c: SessionContext,
    principal: Principal,
    call: Pick<RequestRecord, "requestId" | "toolName" | "input">,
    waitMs: number,
  ): Promise<RequestOutcome | undefined> {
    // Only the caller's own requests: another agent's use of the id is never looked at, so it
    // can neither be told apart from a fresh id nor collide with this one.
    const logged = (await isLogged(c, principal.id, call.requestId))
      ? findOwnRequest(await findLoggedRequests(c.db, call.requestId), principal.id, call.requestId)
      : undefined;
    // Read after the await: the state may have moved on meanwhile.
    const stored = findByRequestId(live(c), principal.id, call.requestId);
    const inflight = c.vars.inflight.get(requestKey(principal.id, call.requestId));
    const known = stored ?? inflight ?? logged;
    if (!known) return undefined;
    checkRetry(known, call);
    if (stored) return waitForResolution(c, stored, waitMs);
    if (inflight) return inflight.outcome;
    return outcomeOf(known as RequestRecord);
  }

  async function decideNew(
    c: SessionContext,
    principal: Principal,
    call: ReturnType<typeof RequestPermissionSchema.parse>,
    waitMs: number,
  ): Promise<RequestOutcome> {
    const policy = sessionPolicy(c, deps.policy);
    const decided = decide(live(c), {
      principal,
      call,
      policy,
      permissionId: newPermissionId(live(c).seq + 1),
      now: Date.now(),
    });
    if (decided.kind === "settled") {
      await run(c, deps, decided);
      return outcomeOf(decided.record);
    }
    // Nothing to apply (the draft is not stored yet), and nothing awaited before the save below:
    // a write followed by a pause lets RivetKit start a save that the next one then waits for.
    commit(c, decided);
    const draft = decided.record;
    if (deps.hook) {
      const hooked = await runHook(deps.hook, publicRequest(draft), deps.hookBudgetMs);
      if (hooked.kind === "answered") {
        const reply: Reply = {
          ...hooked.answer,
          decider: { kind: "hook", id: "onPermissionRequest" },
        };
        try {
          const answered = answerDraft(live(c), draft, reply, policyEnv(c), newRuleId, Date.now());
          await run(c, deps, answered);
          return outcomeOf(answered.record);
        } catch (error) {
          c.log.warn({
            msg: "the permission hook's answer cannot apply; leaving the request to humans",
            error: String(error),
          });
        }
      } else if (hooked.kind !== "left_open") {
        c.log.warn({
          msg: `the permission hook ${hooked.kind === "invalid" ? "answered with an invalid reply" : hooked.kind === "failed" ? "threw" : "ran out of time"}; leaving the request to humans`,
          ...("error" in hooked ? { error: hooked.error } : {}),
        });
      }
    }
    const opened = open(live(c), draft);
    commit(c, opened);
    // Waiting starts before the effects run: a reply that lands while the timer is being armed
    // wakes this wait, and a record that then leaves the state is read from the log.
    const waiting = waitForResolution(c, draft, waitMs);
    await applyEffects(c, deps, opened.effects);
    return waiting;
  }

  function checkSession(c: SessionContext, sessionId: unknown) {
    const id = parseInput(IdSchema, sessionId, "sessionId");
    if (id !== live(c).sessionId) {
      fail("wrong_session", `this is session ${live(c).sessionId}, not ${id}`, {
        sessionId: live(c).sessionId,
      });
    }
  }

  /** Validates a change by compiling with it; fails with a typed error and changes nothing. */
  function checkCompiles(c: SessionContext, change: Partial<Pick<SessionState, "rules" | "mode">>) {
    compileOrFail(deps.policy, {
      projectId: live(c).projectId,
      projectRules: live(c).projectRules,
      sessionRules: change.rules ?? live(c).rules,
      mode: "mode" in change ? (change.mode ?? null) : live(c).mode,
    });
  }

  async function changeRules(c: SessionContext, change: Partial<SessionState>) {
    commit(c, { state: { ...live(c), ...change, revision: live(c).revision + 1 } });
    await saveNow(c);
    announceRules(c, deps);
  }

  const definition = actor({
    ...sessionAccess(deps),
    createVars: (): SessionVars => ({
      policy: undefined,
      waiters: new Map(),
      settling: new Set(),
      inflight: new Map(),
      saved: undefined,
      live: undefined,
      alarms: [],
      logged: { ids: new Set(), loaded: false },
      logDue: false,
      logging: undefined,
      recovered: undefined,
      rulesRead: undefined,
      inbox: [],
      inboxSyncDue: false,
      historyDue: false,
      history: undefined,
      inboxDelivering: false,
      delivering: false,
      unsaved: false,
      failedSaves: 0,
    }),
    db: db({ onMigrate: migrateAuditLog }),
    // Not awaited: in rivetkit 2.3.19 `saveState` never returns inside onWake (the save waits for
    // the actor to start, the start waits for onWake), so settling there wedged every wake with an
    // overdue ask. The actor starts, then this settles what fell due while it was down.
    onWake: (c) => {
      const session: SessionContext = c;
      // A malformed key is refused at every door; such an actor must not touch the inbox either.
      if (parseSessionKey(c.key) === null) return;
      const current = upgradeState(live(session));
      if (current !== live(session)) commit(session, { state: current });
      session.waitUntil(
        recoverFromAuditLog(session)
          .then(() => run(session, deps, sweep(live(session), timeoutMessage(session), Date.now())))
          .then(() => logResolved(session))
          .catch((error) =>
            session.log.warn({ msg: "settling overdue requests failed", error: String(error) }),
          )
          // The inbox and the project's history may have missed reports while this session was down.
          .then(() => syncAfterWake(session, deps)),
      );
    },
    actions: {
      requestPermission: async (c, request: RequestPermissionInput) => {
        const principal = authorize(callerOf(c), "requestPermission");
        const call = parseInput(RequestPermissionSchema, request, "requestPermission");
        const waitMs = call.waitMs ?? deps.defaultWaitMs;
        await Promise.all([ensureProjectRules(c, deps.project), recoverFromAuditLog(c)]);
        const known = await knownRequest(c, principal, call, waitMs);
        if (known) return known;
        const pending = pendingRequests(live(c)).length;
        if (pending >= deps.maxPending) {
          fail("too_many_pending", `this session already has ${pending} pending requests`, {
            limit: deps.maxPending,
          });
        }
        const outcome = decideNew(c, principal, call, waitMs);
        const key = requestKey(principal.id, call.requestId);
        c.vars.inflight.set(key, {
          requestId: call.requestId,
          requestedBy: principal.id,
          toolName: call.toolName,
          input: call.input,
          outcome,
        });
        try {
          return await outcome;
        } finally {
          c.vars.inflight.delete(key);
        }
      },

      /**
       * The SDK's local decisions, in batches: decided again with the current rules and written
       * to the audit log (with the usage) in one commit. Never runs the hook, broadcasts, opens a
       * request or arms a timer; says which entries the current rules decide otherwise. The batch
       * is the array or its JSON text (the SDK's form, see `batchFromWire`).
       */
      recordLocalDecisions: async (c, entries: LocalDecisionInput[] | string) => {
        const principal = authorize(callerOf(c), "recordLocalDecisions");
        const batch = parseInput(
          LocalDecisionBatchSchema,
          batchFromWire(entries),
          "recordLocalDecisions",
        );
        // Counters first: the batch takes sequence numbers and adds to usage.
        await Promise.all([ensureProjectRules(c, deps.project), recoverFromAuditLog(c)]);
        const logged = new Map<string, KnownCall>();
        for (const { requestId } of batch) {
          if (!(await isLogged(c, principal.id, requestId))) continue;
          const records = await findLoggedRequests(c.db, requestId);
          const record = findOwnRequest(records, principal.id, requestId);
          if (record) logged.set(requestId, record);
        }
        // Nothing awaited from here to the commit in `run`.
        const recorded = recordLocal(live(c), {
          principal,
          entries: batch,
          policy: sessionPolicy(c, deps.policy),
          known: (id) => c.vars.inflight.get(requestKey(principal.id, id)) ?? logged.get(id),
          newPermissionId,
          now: Date.now(),
        });
        await run(c, deps, recorded);
        // A resend of a batch whose commit failed finds its entries in memory (`duplicates`):
        // they are acknowledged only once durable.
        await durable(c);
        return recorded.answer;
      },

      waitForDecision: async (c, requestId: string, waitMs?: number) => {
        const principal = authorize(callerOf(c), "waitForDecision");
        const id = parseInput(IdSchema, requestId, "requestId");
        const wait =
          parseInput(RequestPermissionSchema.shape.waitMs, waitMs, "waitMs") ?? deps.defaultWaitMs;
        await recoverFromAuditLog(c);
        // The log is read whatever the state holds: another agent's request costs what an
        // unknown id does (docs/architecture.md, sixth attack pass).
        const rows = await findLoggedRequests(c.db, id);
        // Read after the await: in state, else in the log, else being decided.
        const found = pickRequest<RequestRecord | LoggedRequest | InflightCall>(
          [live(c).requests, rows, c.vars.inflight.values()],
          principal,
          id,
        );
        // Another agent's request is answered as one that does not exist: the caller must not
        // learn which ids are in use.
        if (!found) return fail("not_found", `no request with requestId ${id}`);
        const { record, source } = found;
        if (source === 0) return waitForResolution(c, record as RequestRecord, wait);
        if (source === 1) return outcomeOf(record as RequestRecord);
        return (record as InflightCall).outcome;
      },

      getRequest: async (c, permissionId: string) => {
        const principal = authorize(callerOf(c), "getRequest");
        const id = parseInput(IdSchema, permissionId, "permissionId");
        await recoverFromAuditLog(c);
        // The log is read whatever the state holds, as for an unknown id.
        const logged = await findLoggedPermission(c.db, id);
        const record = findByPermissionId(live(c), id) ?? logged;
        if (!record || !canSee(principal, record)) return fail("not_found", `no request ${id}`);
        return storedRequest(record);
      },

      listPending: async (c) => {
        const principal = authorize(callerOf(c), "listPending");
        await recoverFromAuditLog(c);
        return pendingRequests(live(c))
          .filter((r) => canSee(principal, r))
          .map(publicRequest);
      },

      getHistory: async (c, query?: HistoryQuery) => {
        authorize(callerOf(c), "getHistory");
        const { before, limit = 50 } = parseInput(HistoryQuerySchema, query, "getHistory");
        await recoverFromAuditLog(c);
        await logResolved(c);
        const entries = await readAuditLog(c.db, {
          ...(before !== undefined ? { before } : {}),
          limit,
        });
        const last = entries.at(-1);
        return { entries, nextBefore: entries.length === limit && last ? last.seq : null };
      },

      respondPermission: async (
        c,
        sessionId: string,
        permissionId: string,
        reply: PermissionReply,
        options?: RespondOptions,
      ) => {
        const principal = authorize(callerOf(c), "respondPermission");
        checkSession(c, sessionId);
        const id = parseInput(IdSchema, permissionId, "permissionId");
        const parsed: Reply = {
          reply: parseInput(ReplySchema, reply, "reply"),
          options: parseInput(RespondOptionsSchema, options, "options"),
          decider: { kind: "approver", id: principal.id },
        };
        await recoverFromAuditLog(c);
        const logged = findByPermissionId(live(c), id) ? undefined : await findRecord(c, id);
        // Read after the await: the request may have settled meanwhile (then it is a late reply).
        if (!findByPermissionId(live(c), id)) {
          if (!logged) return fail("not_found", `no request ${id} in session ${live(c).sessionId}`);
          const original = lateReply(logged, parsed);
          return { permissionId: id, resolution: original.resolution! };
        }
        const answered = answer(live(c), id, parsed, policyEnv(c), newRuleId, Date.now());
        await run(c, deps, answered);
        const settled = answered.accepted ? answered.record : lateReply(answered.record, parsed);
        return { permissionId: id, resolution: settled.resolution! };
      },

      cancelRequest: async (c, requestId: string) => {
        const principal = authorize(callerOf(c), "cancelRequest");
        const id = parseInput(IdSchema, requestId, "requestId");
        await recoverFromAuditLog(c);
        // The log is read whatever the state holds, as for an unknown id.
        const rows = await findLoggedRequests(c.db, id);
        const found = pickRequest<RequestRecord | LoggedRequest>(
          [live(c).requests, rows],
          principal,
          id,
        );
        // Only in the log: settled long ago (a resent cancel is told how it ended).
        if (found?.source === 1) {
          fail("already_resolved", `request ${id} was already resolved`, {
            resolution: found.record.resolution ?? null,
          });
        }
        const cancelled = cancel(live(c), principal, id, Date.now());
        await run(c, deps, cancelled);
        return outcomeOf(cancelled.record);
      },

      /** The session's expiry alarm (system only): what is due times out; says how many did. */
      expirePermission: async (c, alarmAt?: unknown) => {
        await recoverFromAuditLog(c);
        const now = Date.now();
        const dueBy = alarmDueBy(alarmAt, now);
        alarmsFired(c, dueBy);
        const pending = pendingRequests(live(c)).length;
        const expired = expireDue(live(c), timeoutMessage(c), now, dueBy);
        await run(c, deps, expired);
        return pending - pendingRequests(expired.state).length;
      },

      /** The project's rules changed: read them again and tell subscribers (the project calls it). */
      reloadProjectRules: async (c) => {
        forgetProjectRules(c);
        await ensureProjectRules(c, deps.project);
        await saveNow(c);
        announceRules(c, deps);
      },

      /**
       * The project no longer records this session, so no later change would reach it: its copy
       * of the rules is dropped (durably) and read again, which records it again, before its next
       * decision (the project calls it).
       */
      dropProjectRules: async (c) => {
        forgetProjectRules(c);
        await saveNow(c);
        // An SDK's local copy holds the dropped rules too: it must fetch the policy again.
        announceRules(c, deps);
      },

      listRules: async (c) => {
        authorize(callerOf(c), "listRules");
        await ensureProjectRules(c, deps.project);
        return {
          rules: live(c).rules,
          projectRules: live(c).projectRules,
          mode: live(c).mode,
          version: sessionPolicy(c, deps.policy).version,
        };
      },

      getPolicy: async (c) => {
        authorize(callerOf(c), "getPolicy");
        // The context carries the usage, which the audit log may be ahead of after a crash; the
        // project's rules are part of the policy (an SDK decides locally with what this returns).
        await Promise.all([ensureProjectRules(c, deps.project), recoverFromAuditLog(c)]);
        const policy = sessionPolicy(c, deps.policy);
        return {
          version: policy.version,
          documents: policy.documents,
          settings: policy.settings,
          context: evaluationContext(live(c)),
        };
      },

      getUsage: async (c) => {
        authorize(callerOf(c), "getUsage");
        await recoverFromAuditLog(c);
        return live(c).usage;
      },

      addRule: async (c, rule: RuleInput) => {
        const principal = authorize(callerOf(c), "addRule");
        const { id, ...parsed } = parseInput(RuleInputSchema, rule, "rule");
        if (id !== undefined) {
          // A caller-chosen id makes the call safe to send again (the client resends actions
          // across reconnects): the same rule under the same id is returned, not added twice.
          const existing = live(c).rules.find((r) => r.id === id);
          if (existing) {
            if (
              existing.tool === parsed.tool &&
              existing.behavior === parsed.behavior &&
              existing.message === parsed.message
            )
              return existing;
            return fail("invalid_rule", `rule id ${id} is already used by another rule`);
          }
          if ((live(c).removedRuleIds ?? []).includes(id))
            return fail("invalid_rule", `rule id ${id} was used by a rule that has been removed`);
        }
        const added: SessionRule = {
          id: id ?? newRuleId(),
          ...parsed,
          addedBy: principal.id,
          addedAt: Date.now(),
          source: "admin",
        };
        const rules = [...live(c).rules, added];
        checkCompiles(c, { rules });
        await changeRules(c, { rules });
        return added;
      },

      removeRule: async (c, ruleId: string) => {
        authorize(callerOf(c), "removeRule");
        const id = parseInput(IdSchema, ruleId, "ruleId");
        const removed = live(c).removedRuleIds ?? [];
        // Removing a rule twice (a resend) is not an error; an id never seen is.
        if (!live(c).rules.some((r) => r.id === id)) {
          if (removed.includes(id)) return true;
          return fail("not_found", `no session rule ${id}`);
        }
        await changeRules(c, {
          rules: live(c).rules.filter((r) => r.id !== id),
          removedRuleIds: [...removed, id].slice(-MAX_REMEMBERED_REMOVALS),
        });
        return true;
      },

      setMode: async (c, mode: string | null) => {
        authorize(callerOf(c), "setMode");
        const parsed = parseInput(ModeInputSchema, mode, "mode");
        checkCompiles(c, { mode: parsed });
        await changeRules(c, { mode: parsed });
        return parsed;
      },
    },
    options: { actionTimeout: 60_000 },
  });
  // Every answer, a retry's included, reads the state in memory: it must be durable first.
  const actions = definition.config.actions as unknown as Record<
    string,
    (c: SessionContext, ...args: unknown[]) => unknown
  >;
  for (const [name, handler] of Object.entries(actions)) {
    actions[name] = async (c, ...args) => {
      await durable(c);
      return handler(c, ...args);
    };
  }
  return guardActor("permissionSession", definition);
}
