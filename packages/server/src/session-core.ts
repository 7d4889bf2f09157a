import { isDeepStrictEqual } from "node:util";
import {
  type CompiledPolicy,
  type Decision,
  evaluate,
  type Mode,
  suggestRules,
} from "@warden/rules";
import type { RawAccess } from "rivetkit/db";
import {
  appendToAuditLog,
  findLoggedPermission,
  type LoggedRequest,
  listLoggedRequestIds,
} from "./audit-log.ts";
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import type { ReplyOptions } from "./hook.ts";
import { compileOrFail, type ServerPolicy } from "./policy.ts";
import type { InboxChange } from "./project.ts";
import { requireCoverage } from "./project-rules.ts";
import type {
  AgentDecision,
  Decider,
  PermissionReply,
  PermissionRequest,
  RequestOutcome,
  Resolution,
  ResolutionReason,
  RuleScope,
  SessionRule,
  StoredRequest,
} from "./types.ts";

/** A stored request with its sequence number and whether the audit log has it yet. */
export type RequestRecord = StoredRequest & { readonly seq: number; readonly logged?: boolean };

/** The durable state of one permission session. */
export interface SessionState {
  projectId: string;
  sessionId: string;
  createdAt: number;
  cwd: string | null;
  home: string | null;
  mode: Mode | null;
  rules: SessionRule[];
  projectRules: SessionRule[];
  projectRulesLoaded: boolean;
  /** Bumped whenever rules, project rules or the mode change: keys the compiled-policy cache. */
  revision: number;
  /** How many resolved requests were trimmed from state (they live in the audit log only). */
  evicted: number;
  usage: { turns: number; costUsd: number };
  seq: number;
  requests: Record<string, RequestRecord>;
  requestIds: Record<string, string>;
  timers: Record<string, string>;
  /** Ids of the latest removed session rules, so that a resent removeRule is not an error. */
  removedRuleIds?: string[];
}

/** In-memory companions of the state (lost on restart, rebuilt on demand). */
export interface SessionVars {
  policy: { key: string; compiled: CompiledPolicy } | undefined;
  /** Agents waiting for a request's decision, woken with the resolved record. */
  waiters: Map<string, Set<(resolved?: RequestRecord) => void>>;
  /** Requests resolved in state whose flush has not completed: not for the audit log yet. */
  settling: Set<string>;
  inflight: Map<string, Promise<RequestOutcome>>;
  /**
   * Request ids known to be in the audit log: those appended since the actor woke, plus (once
   * `loaded`) every id the log held, so that a new request id needs no query.
   */
  logged: { ids: Set<string>; loaded: boolean };
  /** Whether an audit-log append is already due (`logInBackground` batches them). */
  logDue: boolean;
  /** Inbox changes waiting to be sent to the project actor together. */
  inbox: InboxChange[];
}

/** What the session logic needs of a RivetKit action context. */
export interface SessionContext {
  state: SessionState;
  vars: SessionVars;
  readonly db: RawAccess;
  saveState(options: { immediate: boolean }): Promise<void>;
  broadcast(name: string, ...args: unknown[]): void;
  client(): unknown;
  waitUntil(promise: Promise<unknown>): void;
  readonly schedule: {
    at(timestamp: number, action: string, ...args: unknown[]): Promise<string>;
    cancel(id: string): Promise<boolean>;
  };
  readonly log: {
    warn(message: unknown, ...rest: unknown[]): void;
    info(message: unknown, ...rest: unknown[]): void;
  };
}

/** Settings of the session actor, from the server. */
export interface SessionSettings {
  readonly policy: ServerPolicy;
  readonly maxPending: number;
  readonly defaultWaitMs: number;
  /**
   * How many logged resolved requests stay in state; older ones live in the audit log only. Every
   * flush writes the whole state, so keep this small: retries of older ids are answered from the log.
   */
  readonly recentResolved: number;
}

/** The compiled policy of this session, rebuilt when its inputs change. */
export function sessionPolicy(c: SessionContext, settings: SessionSettings): CompiledPolicy {
  const key = `${c.state.revision}`;
  if (c.vars.policy?.key !== key) {
    c.vars.policy = {
      key,
      compiled: compileOrFail(settings.policy, {
        projectId: c.state.projectId,
        projectRules: c.state.projectRules,
        sessionRules: c.state.rules,
        mode: c.state.mode,
      }),
    };
  }
  return c.vars.policy.compiled;
}

/** Persists the state now: whatever is acknowledged must survive a crash. */
export async function flush(c: SessionContext): Promise<void> {
  await c.saveState({ immediate: true });
}

/** Evaluation context of this session. */
export function evaluationContext(c: SessionContext) {
  return {
    ...(c.state.cwd ? { cwd: c.state.cwd } : {}),
    ...(c.state.home ? { home: c.state.home } : {}),
    usage: { turns: c.state.usage.turns, costUsd: c.state.usage.costUsd },
  };
}

/** The agent-facing decision of a resolution. */
export function agentDecision(resolution: Resolution): AgentDecision {
  return resolution.outcome === "allow"
    ? {
        behavior: "allow",
        input: resolution.input,
        reason: resolution.reason,
        message: resolution.message,
      }
    : { behavior: "deny", message: resolution.message, reason: resolution.reason };
}

/** What `requestPermission` returns for a record. */
export function outcomeOf(record: StoredRequest): RequestOutcome {
  if (record.status === "resolved" && record.resolution) {
    return {
      status: "decided",
      permissionId: record.permissionId,
      requestId: record.requestId,
      decision: agentDecision(record.resolution),
    };
  }
  return {
    status: "pending",
    permissionId: record.permissionId,
    requestId: record.requestId,
    expiresAt: record.expiresAt,
  };
}

/** Strips the bookkeeping fields of a record. */
export function publicRequest(record: RequestRecord): PermissionRequest {
  const {
    status: _status,
    resolution: _resolution,
    seq: _seq,
    logged: _logged,
    ...request
  } = record;
  return request;
}

function reasonOf(decision: Decision): ResolutionReason {
  switch (decision.reason) {
    case "budget_exceeded":
      return "budget_exceeded";
    case "mode":
    case "protected_path":
      return "mode";
    case "default":
      return "default";
    default:
      return "rule";
  }
}

/** A resolution made by the policy alone. */
export function policyResolution(decision: Decision, input: Record<string, unknown>): Resolution {
  return {
    outcome: decision.decision === "allow" ? "allow" : "deny",
    reason: reasonOf(decision),
    message: decision.message,
    input,
    decidedBy: {
      kind: "policy",
      rule: decision.rule
        ? { pattern: decision.rule.pattern, tier: decision.rule.tier, id: decision.rule.id }
        : null,
    },
    resolvedAt: Date.now(),
  };
}

/** Builds the request record for a new call (not stored yet). */
export function newRecord(
  c: SessionContext,
  principal: Principal,
  input: {
    requestId: string;
    toolName: string;
    input: Record<string, unknown>;
    action?: string | undefined;
    details?: string | undefined;
    cost?: number | undefined;
  },
  decision: Decision,
  policy: CompiledPolicy,
): RequestRecord {
  const now = Date.now();
  c.state.seq += 1;
  const seq = c.state.seq;
  const permissionId = `perm_${seq.toString(36)}_${crypto.randomUUID().slice(0, 8)}`;
  const action = input.action ?? describeCall(input.toolName, input.input);
  return {
    permissionId,
    requestId: input.requestId,
    projectId: c.state.projectId,
    sessionId: c.state.sessionId,
    toolName: input.toolName,
    input: input.input,
    action,
    description: action,
    params: input.input,
    ...(input.details !== undefined ? { details: input.details } : {}),
    ...(input.cost !== undefined ? { cost: input.cost } : {}),
    createdAt: now,
    expiresAt: now + policy.settings.askTimeoutSeconds * 1000,
    requestedBy: principal.id,
    suggestions:
      decision.decision === "ask"
        ? suggestRules(
            { toolName: input.toolName, input: input.input },
            evaluationContext(c),
            policy,
          )
        : [],
    evaluation: {
      decision: decision.decision,
      reason: decision.reason,
      message: decision.message,
      rule: decision.rule?.pattern ?? null,
      tier: decision.tier,
    },
    status: "pending",
    seq,
  };
}

/** A one-line description of a call when the agent gave none. */
export function describeCall(toolName: string, input: Record<string, unknown>): string {
  const first = (key: string) =>
    typeof input[key] === "string" ? (input[key] as string) : undefined;
  const command = first("command");
  if (command !== undefined) return `Run command: ${truncate(command)}`;
  const path = first("file_path") ?? first("path") ?? first("notebook_path");
  if (path !== undefined) return `${toolName}: ${truncate(path)}`;
  const url = first("url");
  if (url !== undefined) return `${toolName}: ${truncate(url)}`;
  return `Use tool ${toolName}`;
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Stores a record and indexes its request id. */
export function storeRecord(c: SessionContext, record: RequestRecord): void {
  c.state.requests[record.permissionId] = record;
  c.state.requestIds[record.requestId] = record.permissionId;
}

/** Marks a record resolved in state and flushes it; only then may it be acknowledged or logged. */
export async function resolveRecord(
  c: SessionContext,
  record: RequestRecord,
  resolution: Resolution,
): Promise<RequestRecord> {
  const resolved: RequestRecord = { ...record, status: "resolved", resolution };
  storeRecord(c, resolved);
  c.vars.settling.add(resolved.permissionId);
  try {
    await flush(c);
  } finally {
    c.vars.settling.delete(resolved.permissionId);
  }
  return resolved;
}

/** Work that follows a durable resolution: timers, waiters, subscribers and the audit log. */
export async function afterResolution(
  c: SessionContext,
  record: RequestRecord,
  settings: SessionSettings,
): Promise<void> {
  const timer = c.state.timers[record.permissionId];
  if (timer) {
    delete c.state.timers[record.permissionId];
    c.schedule.cancel(timer).catch(() => undefined);
  }
  if (record.resolution && record.evaluation.decision === "ask") {
    c.broadcast("permissionResolved", {
      sessionId: record.sessionId,
      permissionId: record.permissionId,
      requestId: record.requestId,
      resolution: record.resolution,
    });
  }
  const waiters = c.vars.waiters.get(record.permissionId);
  if (waiters) {
    c.vars.waiters.delete(record.permissionId);
    for (const wake of waiters) wake(record);
  }
  logInBackground(c, settings);
}

/** How long resolved records wait to be appended to the audit log together. */
export const LOG_BATCH_MS = 50;

/**
 * Appends to the audit log after the answer went out, batching the decisions of the next
 * `LOG_BATCH_MS` into one insert. The decision is already durable in state; a record that misses
 * the log in a crash is appended on the next wake (inserts are idempotent).
 */
export function logInBackground(c: SessionContext, settings: SessionSettings): void {
  if (c.vars.logDue) return;
  c.vars.logDue = true;
  c.waitUntil(
    new Promise((resolve) => setTimeout(resolve, LOG_BATCH_MS)).then(() => {
      c.vars.logDue = false;
      return logResolved(c, settings);
    }),
  );
}

/** Whether the audit log holds this request id; reads the log's ids at most once per wake. */
export async function isLogged(c: SessionContext, requestId: string): Promise<boolean> {
  const { logged } = c.vars;
  if (logged.ids.has(requestId)) return true;
  if (c.state.evicted === 0 || logged.loaded) return false;
  for (const id of await listLoggedRequestIds(c.db)) logged.ids.add(id);
  logged.loaded = true;
  return logged.ids.has(requestId);
}

/** Moves resolved records into the audit log and trims old ones from state. */
export async function logResolved(c: SessionContext, settings: SessionSettings): Promise<void> {
  // A resolution whose flush is still running may yet be lost in a crash: it waits for the next batch.
  const unlogged = Object.values(c.state.requests).filter(
    (r) => r.status === "resolved" && !r.logged && !c.vars.settling.has(r.permissionId),
  );
  if (unlogged.length > 0) {
    try {
      await appendToAuditLog(c.db, unlogged as LoggedRequest[]);
    } catch (error) {
      c.log.warn({ msg: "audit log append failed; will retry", error: String(error) });
      return;
    }
    for (const record of unlogged) {
      c.state.requests[record.permissionId] = { ...record, logged: true };
      c.vars.logged.ids.add(record.requestId);
    }
  }
  const resolved = Object.values(c.state.requests)
    .filter((r) => r.status === "resolved" && r.logged)
    .sort((a, b) => a.seq - b.seq);
  for (const record of resolved.slice(0, Math.max(0, resolved.length - settings.recentResolved))) {
    delete c.state.requests[record.permissionId];
    c.state.evicted += 1;
    if (c.state.requestIds[record.requestId] === record.permissionId) {
      delete c.state.requestIds[record.requestId];
    }
  }
}

/** Waits up to `waitMs` for a pending request to resolve. */
export async function waitForResolution(
  c: SessionContext,
  permissionId: string,
  waitMs: number,
): Promise<RequestOutcome> {
  const current = c.state.requests[permissionId];
  if (!current) return fail("not_found", `no request ${permissionId}`);
  if (current.status === "resolved" || waitMs <= 0) return outcomeOf(current);
  const resolved = await new Promise<RequestRecord | undefined>((resolve) => {
    const timer = setTimeout(done, waitMs);
    const set = c.vars.waiters.get(permissionId) ?? new Set();
    c.vars.waiters.set(permissionId, set);
    set.add(done);
    function done(record?: RequestRecord) {
      clearTimeout(timer);
      set.delete(done);
      resolve(record);
    }
  });
  // Woken by the resolution itself, or after waitMs: the record may have moved to the audit log.
  const latest =
    resolved ??
    c.state.requests[permissionId] ??
    (await findLoggedPermission(c.db, permissionId)) ??
    current;
  return outcomeOf(latest);
}

/**
 * Turns a reply (from an approver or the hook) into a resolution, validating everything first:
 * nothing changes when it fails. Returns the resolution and the rules to add.
 */
export function resolutionForReply(
  c: SessionContext,
  settings: SessionSettings,
  record: RequestRecord,
  reply: PermissionReply,
  options: ReplyOptions,
  decider: Decider,
): { resolution: Resolution; rules: SessionRule[]; scope: RuleScope } {
  const scope: RuleScope = options.scope ?? "session";
  const now = Date.now();
  const by = decider.id ?? decider.kind;
  if (reply === "reject") {
    return {
      resolution: {
        outcome: "deny",
        reason: decider.kind === "hook" ? "hook" : "rejected",
        message: options.message ?? `Rejected by ${by}.`,
        input: record.input,
        reply,
        decidedBy: decider,
        resolvedAt: now,
      },
      rules: [],
      scope,
    };
  }

  const input = options.updatedInput ?? record.input;
  let rules: SessionRule[] = [];
  if (reply === "always") {
    const patterns = options.rule
      ? typeof options.rule === "string"
        ? [options.rule]
        : [...options.rule]
      : [...(record.suggestions[0]?.patterns ?? [])];
    if (patterns.length === 0) {
      fail("invalid_rule", "no rule to add: this request has no suggestion, so give options.rule");
    }
    rules = patterns.map((tool) => ({
      id: `rule_${crypto.randomUUID().slice(0, 12)}`,
      tool,
      behavior: "allow" as const,
      addedBy: by,
      addedAt: now,
      source: "always" as const,
    }));
  }
  // Validate the new rules, and check an edited input against the policy again: a deny still wins.
  const policy =
    rules.length > 0
      ? compileOrFail(settings.policy, {
          projectId: c.state.projectId,
          projectRules: c.state.projectRules,
          sessionRules: [...c.state.rules, ...rules],
          mode: c.state.mode,
        })
      : sessionPolicy(c, settings);
  if (scope === "project")
    requireCoverage(rules, { toolName: record.toolName, input }, evaluationContext(c));
  if (options.updatedInput) {
    const again = evaluate(policy, { toolName: record.toolName, input }, evaluationContext(c));
    if (again.decision === "deny") {
      return {
        resolution: {
          outcome: "deny",
          reason: "rule",
          message: `The edited input is denied: ${again.message}`,
          input,
          reply,
          decidedBy: {
            kind: "policy",
            rule: again.rule
              ? { pattern: again.rule.pattern, tier: again.rule.tier, id: again.rule.id }
              : null,
          },
          resolvedAt: now,
        },
        rules: [],
        scope,
      };
    }
  }
  return {
    resolution: {
      outcome: "allow",
      reason: decider.kind === "hook" ? "hook" : "approved",
      message: options.message ?? `Approved by ${by}${reply === "always" ? " (always)" : ""}.`,
      input,
      reply,
      decidedBy: decider,
      ...(rules.length > 0 ? { rulesAdded: { patterns: rules.map((r) => r.tool), scope } } : {}),
      resolvedAt: now,
    },
    rules,
    scope,
  };
}

/** The caller of an action. No connection means no principal: scheduled work needs none. */
export function callerOf(
  conn: { state?: { principal?: Principal } } | undefined,
): Principal | undefined {
  return conn?.state?.principal;
}

/** Whether a principal may see a request: agents see only their own. */
export function canSee(principal: Principal, record: StoredRequest): boolean {
  return principal.role !== "agent" || record.requestedBy === principal.id;
}

/**
 * Whether a reply repeats the one that decided a request: the same approver, the same reply, and
 * no edited input or message that differs. A resent reply gets the decision it already made.
 */
export function isSameReply(
  resolution: Resolution,
  approverId: string,
  reply: PermissionReply,
  options: ReplyOptions,
): boolean {
  return (
    resolution.decidedBy.kind === "approver" &&
    resolution.decidedBy.id === approverId &&
    resolution.reply === reply &&
    (options.updatedInput === undefined ||
      isDeepStrictEqual(options.updatedInput, resolution.input)) &&
    (options.message === undefined || options.message === resolution.message)
  );
}
