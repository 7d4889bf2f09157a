import { evaluate } from "@warden/rules";
import { actor, event } from "rivetkit";
import { db } from "rivetkit/db";
import {
  findLoggedPermission,
  findLoggedRequest,
  migrateAuditLog,
  readAuditLog,
} from "./audit-log.ts";
import { authorize, canReach, type Principal, type TokenTable } from "./auth.ts";
import { fail } from "./errors.ts";
import { type PermissionHook, runHook } from "./hook.ts";
import type { InboxChange } from "./inbox.ts";
import {
  ConnParamsSchema,
  type HistoryQuery,
  HistoryQuerySchema,
  IdSchema,
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
import {
  afterResolution,
  callerOf,
  canSee,
  evaluationContext,
  flush,
  isLogged,
  isSameReply,
  logInBackground,
  logResolved,
  newRecord,
  outcomeOf,
  policyResolution,
  publicRequest,
  type RequestRecord,
  resolutionForReply,
  resolveRecord,
  type SessionContext,
  type SessionSettings,
  type SessionState,
  type SessionVars,
  sessionPolicy,
  storeRecord,
  waitForResolution,
} from "./session-core.ts";
import type {
  PermissionReply,
  PermissionRequest,
  PermissionRequestEvent,
  PermissionResolvedEvent,
  RequestOutcome,
  RulesChangedEvent,
  SessionRule,
} from "./types.ts";

/** How many removed session-rule ids a session remembers, so that resent removals succeed. */
const MAX_REMEMBERED_REMOVALS = 200;

/** How long inbox changes wait to be sent to the project actor together. */
const INBOX_BATCH_MS = 100;
/** Tries of one inbox batch (about 80 s with the backoff: longer than an engine failover). */
const INBOX_ATTEMPTS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the session needs from the rest of the server. */
export interface SessionDependencies extends SessionSettings {
  readonly tokens: TokenTable;
  readonly hook?: PermissionHook;
  readonly hookBudgetMs: number;
  /** The project actor, reached through the actor's own client. */
  readonly project: ProjectLink;
}

/** How a session reaches its project's actor. */
export interface ProjectLink {
  /** The project's learned rules, read when a session first decides. */
  loadRules(client: unknown, projectId: string): Promise<SessionRule[]>;
  /** Keeps "always" rules of scope project for the project's future sessions. */
  addRules(client: unknown, projectId: string, rules: SessionRule[]): Promise<void>;
  /** Tells the project's inbox about pending or settled requests, in order. */
  notifyInbox(client: unknown, projectId: string, changes: InboxChange[]): Promise<void>;
  /** Tells the project's inbox every request this session holds pending (on wake). */
  syncInbox(
    client: unknown,
    projectId: string,
    sessionId: string,
    pending: PermissionRequest[],
  ): Promise<void>;
}

/** Input when a session is created: its working directory and home, for path rules. */
export interface SessionCreateInput {
  readonly cwd?: string;
  readonly home?: string;
}

interface ConnState {
  principal: Principal;
}

/** Creates the `permissionSession` actor: one per agent session, keyed `[projectId, sessionId]`. */
export function createSessionActor(deps: SessionDependencies) {
  const ctx = (c: unknown) => c as SessionContext;

  /** Reads the project's learned rules once, when the session first needs its policy. */
  async function ensureProjectRules(c: SessionContext) {
    if (c.state.projectRulesLoaded) return;
    const rules = await deps.project.loadRules(c.client(), c.state.projectId);
    c.state.projectRules = rules.map((rule) => ({ ...rule, source: "project" as const }));
    c.state.projectRulesLoaded = true;
    c.state.revision += 1;
  }

  async function handleRequest(
    c: SessionContext,
    principal: Principal,
    raw: RequestPermissionInput,
  ): Promise<RequestOutcome> {
    const input = parseInput(RequestPermissionSchema, raw, "requestPermission");
    await ensureProjectRules(c);
    const known = c.state.requestIds[input.requestId];
    const existing = known ? c.state.requests[known] : undefined;
    if (existing) {
      if (!canSee(principal, existing))
        fail("forbidden", "that request id belongs to another caller");
      return waitForResolution(c, existing.permissionId, input.waitMs ?? deps.defaultWaitMs);
    }
    const inflight = c.vars.inflight.get(input.requestId);
    if (inflight) return inflight;
    const logged = (await isLogged(c, input.requestId))
      ? await findLoggedRequest(c.db, input.requestId)
      : undefined;
    if (logged) {
      if (!canSee(principal, logged))
        fail("forbidden", "that request id belongs to another caller");
      return outcomeOf(logged);
    }

    const pending = Object.values(c.state.requests).filter((r) => r.status === "pending").length;
    if (pending >= deps.maxPending) {
      fail("too_many_pending", `this session already has ${pending} pending requests`, {
        limit: deps.maxPending,
      });
    }

    const work = decideNew(c, principal, input);
    c.vars.inflight.set(input.requestId, work);
    try {
      return await work;
    } finally {
      c.vars.inflight.delete(input.requestId);
    }
  }

  async function decideNew(
    c: SessionContext,
    principal: Principal,
    input: ReturnType<typeof RequestPermissionSchema.parse>,
  ): Promise<RequestOutcome> {
    const policy = sessionPolicy(c, deps);
    const call = {
      toolName: input.toolName,
      input: input.input,
      ...(input.cost !== undefined ? { cost: input.cost } : {}),
    };
    const decision = evaluate(policy, call, evaluationContext(c));
    c.state.usage.turns += 1;
    c.state.usage.costUsd += input.cost ?? 0;
    let record = newRecord(c, principal, input, decision, policy);

    if (decision.decision !== "ask") {
      record = await resolveRecord(c, record, policyResolution(decision, input.input));
      logInBackground(c, deps);
      return outcomeOf(record);
    }

    if (deps.hook) {
      const hooked = await runHook(deps.hook, publicRequest(record), deps.hookBudgetMs);
      if (hooked.kind === "answered") {
        try {
          const { resolution, rules, scope } = resolutionForReply(
            c,
            deps,
            record,
            hooked.answer.reply,
            hooked.answer.options,
            {
              kind: "hook",
              id: "onPermissionRequest",
            },
          );
          await addRules(c, rules, scope);
          record = await resolveRecord(c, record, resolution);
          await afterResolution(c, record, deps);
          if (rules.length > 0) announceRules(c);
          return outcomeOf(record);
        } catch (error) {
          c.log.warn({
            msg: "the permission hook's answer was invalid; leaving the request to humans",
            error: String(error),
          });
        }
      } else if (hooked.kind !== "left_open") {
        c.log.warn({
          msg: `the permission hook ${hooked.kind === "failed" ? "threw" : "ran out of time"}; leaving the request to humans`,
          ...(hooked.kind === "failed" ? { error: hooked.error } : {}),
        });
      }
    }

    // The record is durable before anyone is told, and its expiry timer before the agent is
    // answered. The timer is written after the broadcast, so that the approvers' fan-out does not
    // wait behind it. After a crash before the timer's id reaches the state, onWake arms the timer
    // again; a timer whose request is settled fires and finds nothing to expire.
    storeRecord(c, record);
    await flush(c);
    const request = publicRequest(record);
    c.broadcast("permissionRequest", { sessionId: record.sessionId, request });
    notifyInbox(c, {
      kind: "pending",
      sessionId: record.sessionId,
      permissionId: record.permissionId,
      request,
    });
    const timer = await c.schedule.at(record.expiresAt, "expirePermission", record.permissionId);
    if (c.state.requests[record.permissionId]?.status === "pending")
      c.state.timers[record.permissionId] = timer;
    return waitForResolution(c, record.permissionId, input.waitMs ?? deps.defaultWaitMs);
  }

  /**
   * Queues a change for the project's inbox. Changes go to the project actor together,
   * `INBOX_BATCH_MS` after the first, so that the call and the project's save do not compete with
   * the fan-out to the session's own subscribers. One delivery loop per session sends them in
   * order and retries a failed batch (the project actor may be restarting on another runner),
   * so approvers' inbox lists every pending request; the project applies a resent batch
   * idempotently. After `INBOX_ATTEMPTS` the batch is dropped and logged; the session's next
   * wake re-announces its pending requests.
   */
  function notifyInbox(c: SessionContext, change: InboxChange) {
    const queue = c.vars.inbox;
    queue.push(change);
    // A loop is running while the queue holds anything: it takes this change too.
    if (queue.length > 1) return;
    c.waitUntil(deliverInbox(c, c.client(), c.state.projectId));
  }

  async function deliverInbox(c: SessionContext, client: unknown, projectId: string) {
    const queue = c.vars.inbox;
    await sleep(INBOX_BATCH_MS);
    let attempt = 0;
    while (queue.length > 0) {
      const batch = queue.slice();
      try {
        await deps.project.notifyInbox(client, projectId, batch);
        queue.splice(0, batch.length);
        attempt = 0;
      } catch (error) {
        c.log.warn({ msg: "inbox update failed", attempt, error: String(error) });
        if (++attempt >= INBOX_ATTEMPTS) {
          queue.splice(0, batch.length);
          continue;
        }
        await sleep(Math.min(250 * 2 ** attempt, 5_000));
      }
    }
  }

  async function addRules(c: SessionContext, rules: SessionRule[], scope: "session" | "project") {
    if (rules.length === 0) return;
    if (scope === "project") await deps.project.addRules(c.client(), c.state.projectId, rules);
    c.state.rules.push(...rules);
    c.state.revision += 1;
  }

  function announceRules(c: SessionContext) {
    const policy = sessionPolicy(c, deps);
    const payload: RulesChangedEvent = {
      sessionId: c.state.sessionId,
      rules: c.state.rules,
      mode: c.state.mode,
      version: policy.version,
    };
    c.broadcast("rulesChanged", payload);
  }

  async function settle(
    c: SessionContext,
    record: RequestRecord,
    resolution: RequestRecord["resolution"],
  ) {
    const resolved = await resolveRecord(c, record, resolution!);
    await afterResolution(c, resolved, deps);
    if (resolved.evaluation.decision === "ask") {
      notifyInbox(c, {
        kind: "resolved",
        sessionId: resolved.sessionId,
        permissionId: resolved.permissionId,
        requestId: resolved.requestId,
        ...(resolved.resolution ? { resolution: resolved.resolution } : {}),
      });
    }
    return resolved;
  }

  /**
   * Times out the requests that fell due while the actor was down, arms the timer of any pending
   * request whose timer id was not saved, and logs what the log misses.
   */
  async function settleOverdue(c: SessionContext) {
    for (const permissionId of Object.keys(c.state.requests)) {
      // Read again at each step: an action may have settled it meanwhile.
      const record = c.state.requests[permissionId];
      if (record?.status !== "pending") continue;
      if (record.expiresAt <= Date.now()) {
        await settle(c, record, timeoutResolution(record, timeoutMessage(c)));
      } else if (!c.state.timers[permissionId]) {
        c.state.timers[permissionId] = await c.schedule.at(
          record.expiresAt,
          "expirePermission",
          permissionId,
        );
      }
    }
    await logResolved(c, deps);
  }

  async function syncInbox(c: SessionContext) {
    const pending = Object.values(c.state.requests)
      .filter((r) => r.status === "pending")
      .map(publicRequest);
    // Retried like inbox updates: after a crash the project actor may be restarting too, and
    // until this lands the inbox shows requests this session has since resolved.
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.project.syncInbox(c.client(), c.state.projectId, c.state.sessionId, pending);
        return;
      } catch (error) {
        c.log.warn({ msg: "inbox sync failed", attempt, error: String(error) });
        if (attempt >= INBOX_ATTEMPTS) return;
        await sleep(Math.min(250 * 2 ** attempt, 5_000));
      }
    }
  }

  async function findRecord(c: SessionContext, permissionId: string) {
    const id = parseInput(IdSchema, permissionId, "permissionId");
    return c.state.requests[id] ?? (await findLoggedPermission(c.db, id));
  }

  function checkSession(c: SessionContext, sessionId: unknown) {
    const id = parseInput(IdSchema, sessionId, "sessionId");
    if (id !== c.state.sessionId) {
      fail("wrong_session", `this is session ${c.state.sessionId}, not ${id}`, {
        sessionId: c.state.sessionId,
      });
    }
  }

  return actor({
    createState: (c: { key: string[] }, input: SessionCreateInput | undefined): SessionState => {
      const [projectId = "", sessionId = ""] = c.key;
      return {
        projectId,
        sessionId,
        createdAt: Date.now(),
        cwd: typeof input?.cwd === "string" && input.cwd.startsWith("/") ? input.cwd : null,
        home: typeof input?.home === "string" && input.home.startsWith("/") ? input.home : null,
        mode: null,
        rules: [],
        projectRules: [],
        projectRulesLoaded: false,
        revision: 0,
        evicted: 0,
        usage: { turns: 0, costUsd: 0 },
        seq: 0,
        requests: {},
        requestIds: {},
        timers: {},
        removedRuleIds: [],
      };
    },
    createVars: (): SessionVars => ({
      policy: undefined,
      waiters: new Map(),
      settling: new Set(),
      inflight: new Map(),
      logged: { ids: new Set(), loaded: false },
      logDue: false,
      inbox: [],
    }),
    db: db({ onMigrate: migrateAuditLog }),
    events: {
      permissionRequest: event<PermissionRequestEvent>(),
      permissionResolved: event<PermissionResolvedEvent>(),
      rulesChanged: event<RulesChangedEvent>(),
    },
    // Not awaited: in rivetkit 2.3.19 `saveState` never returns inside onWake (the save waits for
    // the actor to start, the start waits for onWake), so settling there wedged every wake with an
    // overdue ask. The actor starts, then this settles what fell due while it was down.
    onWake: (c) => {
      const session = ctx(c);
      session.waitUntil(
        settleOverdue(session)
          .catch((error) =>
            session.log.warn({ msg: "settling overdue requests failed", error: String(error) }),
          )
          // The inbox may have missed reports while this session was down: re-announce.
          .then(() => syncInbox(session)),
      );
    },
    onBeforeConnect: (c: { key: string[] }, params: unknown) => {
      const parsed = ConnParamsSchema.safeParse(params);
      if (!parsed.success) fail("unauthorized", "connect with { token }");
      const principal = deps.tokens.lookup(parsed.data.token);
      if (!principal) fail("unauthorized", "unknown token");
      const [projectId = "", sessionId = ""] = c.key;
      if (!canReach(principal, projectId, sessionId)) {
        fail("forbidden", `this token may not reach session ${sessionId} of project ${projectId}`);
      }
    },
    createConnState: (_c: unknown, params: unknown): ConnState => {
      const token = ConnParamsSchema.parse(params).token;
      return { principal: deps.tokens.lookup(token)! };
    },
    actions: {
      requestPermission: async (c, request: RequestPermissionInput) => {
        const principal = authorize(callerOf(c.conn), "requestPermission");
        return handleRequest(ctx(c), principal, request);
      },

      waitForDecision: async (c, requestId: string, waitMs?: number) => {
        const principal = authorize(callerOf(c.conn), "getDecision");
        const session = ctx(c);
        const id = parseInput(IdSchema, requestId, "requestId");
        const permissionId = session.state.requestIds[id];
        const record = permissionId
          ? session.state.requests[permissionId]
          : await findLoggedRequest(session.db, id);
        if (!record) return fail("not_found", `no request with requestId ${id}`);
        if (!canSee(principal, record)) fail("forbidden", "that request belongs to another caller");
        const wait =
          parseInput(RequestPermissionSchema.shape.waitMs, waitMs, "waitMs") ?? deps.defaultWaitMs;
        return session.state.requests[record.permissionId]
          ? waitForResolution(session, record.permissionId, wait)
          : outcomeOf(record);
      },

      getRequest: async (c, permissionId: string) => {
        const principal = authorize(callerOf(c.conn), "getRequest");
        const record = await findRecord(ctx(c), permissionId);
        if (!record || !canSee(principal, record))
          return fail("not_found", `no request ${permissionId}`);
        const { seq: _seq, logged: _logged, ...rest } = record as RequestRecord;
        return rest;
      },

      listPending: (c) => {
        const principal = authorize(callerOf(c.conn), "listPending");
        return Object.values(ctx(c).state.requests)
          .filter((r) => r.status === "pending" && canSee(principal, r))
          .sort((a, b) => a.seq - b.seq)
          .map(publicRequest);
      },

      getHistory: async (c, query?: HistoryQuery) => {
        authorize(callerOf(c.conn), "getHistory");
        const session = ctx(c);
        const { before, limit = 50 } = parseInput(HistoryQuerySchema, query, "getHistory");
        await logResolved(session, deps);
        const entries = await readAuditLog(session.db, {
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
        const principal = authorize(callerOf(c.conn), "respondPermission");
        const session = ctx(c);
        checkSession(session, sessionId);
        const parsedReply = parseInput(ReplySchema, reply, "reply");
        const parsedOptions = parseInput(RespondOptionsSchema, options, "options");
        const record = await findRecord(session, permissionId);
        if (!record)
          return fail(
            "not_found",
            `no request ${permissionId} in session ${session.state.sessionId}`,
          );
        // Fail closed: an ask that fell due in the moments between a wake and the overdue sweep
        // times out here rather than being approved late.
        if (
          record.status === "pending" &&
          session.state.requests[record.permissionId] &&
          record.expiresAt <= Date.now()
        ) {
          delete session.state.timers[record.permissionId];
          await settle(
            session,
            record as RequestRecord,
            timeoutResolution(record as RequestRecord, timeoutMessage(session)),
          );
        }
        const stored = session.state.requests[record.permissionId] ?? record;
        if (stored.status !== "pending" || !session.state.requests[record.permissionId]) {
          // The same approver sending the same reply again (a resend across a reconnect or a
          // restart) gets the decision it already made, not an error.
          if (
            stored.resolution &&
            isSameReply(stored.resolution, principal.id, parsedReply, parsedOptions)
          ) {
            return { permissionId: stored.permissionId, resolution: stored.resolution };
          }
          return fail("already_resolved", `request ${record.permissionId} was already resolved`, {
            resolution: stored.resolution ?? null,
          });
        }
        const { resolution, rules, scope } = resolutionForReply(
          session,
          deps,
          record as RequestRecord,
          parsedReply,
          parsedOptions,
          {
            kind: "approver",
            id: principal.id,
          },
        );
        // Compare-and-set: an await above may have let another reply in first.
        const current = session.state.requests[record.permissionId];
        if (current?.status !== "pending") {
          // Settled meanwhile; it may already have moved from state to the audit log.
          const settled = current ?? (await findRecord(session, record.permissionId));
          if (
            settled?.resolution &&
            isSameReply(settled.resolution, principal.id, parsedReply, parsedOptions)
          ) {
            return { permissionId: settled.permissionId, resolution: settled.resolution };
          }
          return fail("already_resolved", `request ${record.permissionId} was already resolved`, {
            resolution: settled?.resolution ?? null,
          });
        }
        await addRules(session, rules, scope);
        const resolved = await settle(session, current, resolution);
        if (rules.length > 0) announceRules(session);
        return { permissionId: resolved.permissionId, resolution };
      },

      cancelRequest: async (c, requestId: string) => {
        const principal = authorize(callerOf(c.conn), "cancelRequest");
        const session = ctx(c);
        const id = parseInput(IdSchema, requestId, "requestId");
        const permissionId = session.state.requestIds[id];
        const record = permissionId ? session.state.requests[permissionId] : undefined;
        if (!record || !canSee(principal, record))
          return fail("not_found", `no request with requestId ${id}`);
        if (record.status !== "pending") {
          return fail("already_resolved", `request ${id} was already resolved`, {
            resolution: record.resolution ?? null,
          });
        }
        const resolved = await settle(session, record, {
          outcome: "deny",
          reason: "cancelled",
          message: "The agent cancelled the request.",
          input: record.input,
          decidedBy: { kind: "agent", id: principal.id },
          resolvedAt: Date.now(),
        });
        return outcomeOf(resolved);
      },

      expirePermission: async (c, permissionId: string) => {
        const session = ctx(c);
        const record = session.state.requests[permissionId];
        if (!record || record.status !== "pending" || record.expiresAt > Date.now() + 1000)
          return false;
        delete session.state.timers[permissionId];
        await settle(session, record, timeoutResolution(record, timeoutMessage(session)));
        return true;
      },

      listRules: (c) => {
        authorize(callerOf(c.conn), "listRules");
        const session = ctx(c);
        return {
          rules: session.state.rules,
          projectRules: session.state.projectRules,
          mode: session.state.mode,
          version: sessionPolicy(session, deps).version,
        };
      },

      getPolicy: (c) => {
        authorize(callerOf(c.conn), "getPolicy");
        const session = ctx(c);
        const policy = sessionPolicy(session, deps);
        return {
          version: policy.version,
          documents: policy.documents,
          settings: policy.settings,
          context: evaluationContext(session),
        };
      },

      getUsage: (c) => {
        authorize(callerOf(c.conn), "getUsage");
        return ctx(c).state.usage;
      },

      addRule: async (c, rule: RuleInput) => {
        const principal = authorize(callerOf(c.conn), "addRule");
        const session = ctx(c);
        const { id, ...parsed } = parseInput(RuleInputSchema, rule, "rule");
        if (id !== undefined) {
          // A caller-chosen id makes the call safe to send again (the client resends actions
          // across reconnects): the same rule under the same id is returned, not added twice.
          const existing = session.state.rules.find((r) => r.id === id);
          if (existing) {
            if (
              existing.tool === parsed.tool &&
              existing.behavior === parsed.behavior &&
              existing.message === parsed.message
            )
              return existing;
            return fail("invalid_rule", `rule id ${id} is already used by another rule`);
          }
          if ((session.state.removedRuleIds ?? []).includes(id))
            return fail("invalid_rule", `rule id ${id} was used by a rule that has been removed`);
        }
        const added: SessionRule = {
          id: id ?? `rule_${crypto.randomUUID().slice(0, 12)}`,
          ...parsed,
          addedBy: principal.id,
          addedAt: Date.now(),
          source: "admin",
        };
        sessionPolicyWith(session, { rules: [...session.state.rules, added] });
        session.state.rules.push(added);
        session.state.revision += 1;
        await flush(session);
        announceRules(session);
        return added;
      },

      removeRule: async (c, ruleId: string) => {
        authorize(callerOf(c.conn), "removeRule");
        const session = ctx(c);
        const id = parseInput(IdSchema, ruleId, "ruleId");
        const index = session.state.rules.findIndex((r) => r.id === id);
        // Removing a rule twice (a resend) is not an error; an id never seen is.
        if (index < 0 && (session.state.removedRuleIds ?? []).includes(id)) return true;
        if (index < 0) return fail("not_found", `no session rule ${id}`);
        session.state.rules.splice(index, 1);
        session.state.removedRuleIds = [...(session.state.removedRuleIds ?? []), id].slice(
          -MAX_REMEMBERED_REMOVALS,
        );
        session.state.revision += 1;
        await flush(session);
        announceRules(session);
        return true;
      },

      setMode: async (c, mode: string | null) => {
        authorize(callerOf(c.conn), "setMode");
        const session = ctx(c);
        const parsed = parseInput(ModeInputSchema, mode, "mode");
        sessionPolicyWith(session, { mode: parsed });
        session.state.mode = parsed;
        session.state.revision += 1;
        await flush(session);
        announceRules(session);
        return parsed;
      },
    },
    options: { actionTimeout: 60_000 },
  });

  function timeoutMessage(c: SessionContext): string {
    try {
      return sessionPolicy(c, deps).settings.askTimeoutMessage;
    } catch {
      return "Nobody answered the permission request in time.";
    }
  }

  /** Validates a change by compiling with it; fails with a typed error and changes nothing. */
  function sessionPolicyWith(
    c: SessionContext,
    change: { rules?: SessionRule[]; mode?: SessionState["mode"] },
  ) {
    const probe = {
      ...c,
      state: {
        ...c.state,
        ...(change.rules ? { rules: change.rules } : {}),
        ...("mode" in change ? { mode: change.mode ?? null } : {}),
      },
      vars: { ...c.vars, policy: undefined },
    } as SessionContext;
    sessionPolicy(probe, deps);
  }
}

function timeoutResolution(record: RequestRecord, message: string) {
  return {
    outcome: "deny" as const,
    reason: "timed_out" as const,
    message,
    input: record.input,
    decidedBy: { kind: "timeout" as const },
    resolvedAt: Date.now(),
  };
}
