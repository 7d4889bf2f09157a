import type {
  LocalDecisionInput,
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RequestOutcome,
  RespondOptions,
  RulesChangedEvent,
  WardenRegistry,
} from "@warden/server";
import {
  type CallFields,
  fitsCallFields,
  MAX_LOCAL_BATCH,
  MAX_LOCAL_BATCH_CHARS,
  newReplyId,
} from "@warden/server/protocol";
import type { createClient } from "rivetkit/client";
import {
  type ConnectionDiagnostics,
  type ConnectionStatus,
  LiveConnection,
  type WakeGate,
} from "./connection.ts";
import { type AgentDecision, checkedDecision } from "./decision.ts";
import { toWardenError, WardenError } from "./errors.ts";
import { type FastPathMode, type LocalDecision, LocalPolicy } from "./fast-path.ts";
import { inputRefusal, inputWithinLimits } from "./input-limits.ts";
import { type QueuedReport, ReportQueue, type ReportQueueOptions } from "./report-queue.ts";
import { REPLY_BOUND_MS, type RetryPolicy, withRetry } from "./retry.ts";

type RivetClient = ReturnType<typeof createClient<WardenRegistry>>;
type SessionHandle = ReturnType<RivetClient["permissionSession"]["getOrCreate"]>;
/** A live connection to a session actor. */
export type SessionConn = ReturnType<SessionHandle["connect"]>;

/** How a session reaches its actor: resolve the key to an id once, then connect by id. */
export interface SessionLink {
  resolveId(): Promise<string>;
  open(actorId: string): SessionConn;
  /** Bounds the reopenings after an idle close across the client's sessions (see `LiveConnection`). */
  readonly wakes?: WakeGate;
}

/** What an agent asks for. */
export interface PermissionAsk {
  readonly toolName: string;
  readonly input: Record<string, unknown>;
  /** The human-readable line shown to approvers ("Run command: git status"). */
  readonly action?: string;
  readonly details?: string;
  /** Your idempotency key, e.g. the tool-use id; retries with it never make a second request. */
  readonly requestId?: string;
  readonly cost?: number;
  /** Aborting cancels the request on the server; the decision is then a deny with reason `cancelled`. */
  readonly signal?: AbortSignal;
}

/** Handlers of an approver's subscription. */
export interface SubscribeHandlers {
  /** Every pending request exactly once: those already pending first, then new ones. */
  readonly onRequest?: (request: PermissionRequest) => void;
  /** Every resolution exactly once, including those made elsewhere. */
  readonly onResolved?: (event: PermissionResolvedEvent) => void;
  readonly onRulesChanged?: (event: RulesChangedEvent) => void;
  readonly onStatus?: (status: ConnectionStatus) => void;
}

/** A local decision the server, deciding the same call in the background, did not confirm. */
export interface FastPathMismatch {
  readonly sessionId: string;
  readonly requestId: string;
  readonly toolName: string;
  readonly local: AgentDecision;
  /** The server's decision now, or `"ask"` when it would ask a human (no request is opened). */
  readonly server: AgentDecision | "ask";
  readonly policyVersion: string;
}

/** What a session is doing now: why it does not answer, when it does not (`pnpm load` prints it). */
export interface SessionDiagnostics {
  readonly connection: ConnectionDiagnostics;
  /** The local policy: its version, whether it is fresh, whether a fetch of it runs. */
  readonly policy: {
    readonly version: string | undefined;
    readonly fresh: boolean;
    readonly fetching: boolean;
  };
  /** Local decisions not yet recorded, and whether the session still decides locally. */
  readonly reports: {
    readonly unreported: number;
    readonly accepting: boolean;
    readonly refused: boolean;
  };
}

/** Settings of a session handle, from the client. */
export interface SessionSettings {
  readonly retry: RetryPolicy;
  readonly fastPath: FastPathMode;
  readonly onFastPathMismatch?: ((mismatch: FastPathMismatch) => void) | undefined;
  /** How local decisions are batched on their way to the audit log (defaults: `REPORTS`). */
  readonly reports?: Partial<ReportQueueOptions> | undefined;
  /** Close the connection after this long unused; undefined: keep it open (see `LiveConnection`). */
  readonly idleCloseMs?: number | undefined;
}

/**
 * Local decisions go to the actor in batches of up to 500 (or 128 KiB), 50 ms after the first;
 * at 10,000 not yet recorded, the session stops deciding locally until half have been recorded.
 */
export const REPORTS: ReportQueueOptions = {
  maxBatch: MAX_LOCAL_BATCH,
  maxBatchChars: MAX_LOCAL_BATCH_CHARS,
  delayMs: 50,
  maxQueued: 10_000,
};

/** A local decision on its way to the audit log. */
interface Report {
  readonly entry: LocalDecisionInput;
  readonly local: AgentDecision;
}

/** Codes that say this caller may never record calls in this session: retrying cannot help. */
const REFUSED = new Set(["unauthorized", "forbidden"]);

/**
 * How long one long-poll waits on the server. Short, because a poll is also how an agent finds
 * out that its connection leads nowhere: a connection that leaves a call unanswered past the call's
 * bound is replaced (connection.ts). After a runner's SIGKILL the engine's gateway keeps the
 * agent's socket open to the dead actor for 30–45 s; with 25 s polls and a 45 s bound agents heard
 * their decision 37–44 s after the kill although it had landed 8–22 s after it. A poll every 5 s
 * costs an awake session one action per 5 s, less than the engine's own liveness loop for it
 * (~1 storage transaction a second, docs/scale.md).
 */
const WAIT_MS = 5_000;
/** How late past WAIT_MS a poll's answer may be before its connection counts as dead (load). */
const POLL_BOUND_MS = WAIT_MS + 10_000;
/** The first call runs the server's permission hook (5 s budget by default) before it waits. */
const ASK_BOUND_MS = POLL_BOUND_MS + 5_000;
/** The bound of every other call on the live connection. */
const READ_BOUND_MS = 30_000;

/** The fields of a call as the server takes them (no `signal`, no undefined fields). */
function callOf(requestId: string, ask: PermissionAsk): CallFields {
  return {
    requestId,
    toolName: ask.toolName,
    input: ask.input,
    ...(ask.action !== undefined ? { action: ask.action } : {}),
    ...(ask.details !== undefined ? { details: ask.details } : {}),
    ...(ask.cost !== undefined ? { cost: ask.cost } : {}),
  };
}

/** One agent session: ask as an agent, watch and answer as an approver. */
export class WardenSession {
  readonly #live: LiveConnection<SessionConn>;
  readonly #policy: LocalPolicy;
  #policyWired = false;
  #refreshing: Promise<void> | undefined;
  readonly #reports: ReportQueue<Report>;
  /** Set when the server refused to record this caller's local decisions: none are made then. */
  #localRefused = false;
  /**
   * Request ids made here are this handle's random prefix and a counter: unique like a uuid per
   * call, without a `crypto.randomUUID()` (a tenth of a locally decided call) on the hot path.
   */
  readonly #idPrefix = crypto.randomUUID();
  #idCount = 0;
  readonly retry: RetryPolicy;

  constructor(
    readonly projectId: string,
    readonly sessionId: string,
    link: SessionLink,
    readonly settings: SessionSettings,
  ) {
    this.retry = settings.retry;
    this.#live = new LiveConnection(link.resolveId, link.open, {
      idleCloseMs: settings.idleCloseMs,
      wakes: link.wakes,
    });
    this.#policy = new LocalPolicy(settings.fastPath);
    this.#reports = new ReportQueue(
      (batch) => this.#sendReports(batch),
      { ...REPORTS, ...settings.reports },
      (report) => JSON.stringify(report.entry),
    );
  }

  /** The version of the policy the SDK holds for local decisions, and whether it is fresh. */
  get localPolicy(): { readonly version: string | undefined; readonly fresh: boolean } {
    return { version: this.#policy.version, fresh: this.#policy.fresh };
  }

  /** The live connection, opened on first use, reconnected by RivetKit and replaced when RivetKit gives up. */
  connection(): Promise<SessionConn> {
    return this.#live.get();
  }

  /** The connection's status. */
  get status(): ConnectionStatus {
    return this.#live.status;
  }

  /** What the session is doing now (see `SessionDiagnostics`). */
  get diagnostics(): SessionDiagnostics {
    return {
      connection: this.#live.diagnostics,
      policy: {
        version: this.#policy.version,
        fresh: this.#policy.fresh,
        fetching: this.#refreshing !== undefined,
      },
      reports: {
        unreported: this.#reports.size,
        accepting: this.#reports.accepting,
        refused: this.#localRefused,
      },
    };
  }

  /**
   * Calls back on every change of the connection's status; returns what stops it. Unlike
   * `subscribe`'s `onStatus`, it keeps nothing open: an agent's idle connection still closes.
   */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.#live.onStatus(listener);
  }

  /**
   * Asks for permission and resolves with the decision: `{ behavior: "allow", input }` (the input
   * to run, edited or not) or `{ behavior: "deny", message, reason }`. Keeps waiting while humans
   * decide, across reconnects and server restarts, by asking again with the same request id.
   * @example const decision = await session.requestPermission({ toolName: "Bash", input: { command: "npm test" } })
   */
  async requestPermission(ask: PermissionAsk): Promise<AgentDecision> {
    const requestId = ask.requestId ?? this.#newRequestId();
    const { signal } = ask;
    if (signal?.aborted)
      return { behavior: "deny", reason: "cancelled", message: "The request was cancelled." };
    const local = (await this.#afterPolicyFetch(signal)) && this.#decideLocally(requestId, ask);
    if (local) return local;
    if (signal?.aborted)
      return { behavior: "deny", reason: "cancelled", message: "The request was cancelled." };
    const refusal = inputRefusal(ask.input);
    if (refusal !== undefined) throw new WardenError("invalid_input", refusal);
    try {
      let outcome: RequestOutcome = await withRetry(
        () =>
          this.#live.call(
            (conn) => conn.requestPermission({ ...callOf(requestId, ask), waitMs: WAIT_MS }),
            ASK_BOUND_MS,
          ),
        this.retry,
        { signal },
      );
      while (outcome.status === "pending") {
        outcome = await withRetry(
          () => this.#live.call((conn) => conn.waitForDecision(requestId, WAIT_MS), POLL_BOUND_MS),
          this.retry,
          { signal },
        );
      }
      return checkedDecision(outcome.decision);
    } catch (error) {
      if (signal?.aborted) return this.#cancel(requestId);
      throw toWardenError(error);
    }
  }

  /**
   * The decision for a call when the SDK can make it locally (see the fast path in
   * docs/client.md), at once and without a round trip, queued for the audit log; `undefined` when
   * the actor must decide (then call `requestPermission`). Gateways use it to relay a
   * rule-settled call in the same tick.
   */
  decideLocally(ask: Omit<PermissionAsk, "signal">): AgentDecision | undefined {
    return this.#decideLocally(ask.requestId ?? this.#newRequestId(), ask);
  }

  #newRequestId(): string {
    return `${this.#idPrefix}.${(this.#idCount++).toString(36)}`;
  }

  /**
   * Waits for a fetch of the policy under way (the first one of a session, or after a change):
   * the actor would wait for the same project-rules read before deciding, so a call sent now would
   * only double the work, and would not be decided locally when it could be. True to go on.
   */
  async #afterPolicyFetch(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.settings.fastPath === "off") return true;
    if (!this.#policyWired) this.#wirePolicy();
    const fetching = this.#refreshing;
    if (!fetching || this.#policy.fresh) return true;
    if (!signal) {
      await fetching.catch(() => undefined);
      return true;
    }
    let onAbort = () => {};
    const aborted = new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener("abort", onAbort, { once: true });
    });
    await Promise.race([fetching.catch(() => undefined), aborted]);
    signal.removeEventListener("abort", onAbort);
    return !signal.aborted;
  }

  #decideLocally(requestId: string, ask: PermissionAsk): AgentDecision | undefined {
    if (this.settings.fastPath === "off") return undefined;
    if (!this.#policyWired) this.#wirePolicy();
    // A full report queue (or a caller who may not record) sends every call to the actor.
    if (!this.#reports.accepting || this.#localRefused) return undefined;
    const local = this.#policy.decide(ask.toolName, ask.input);
    if (local && this.#queueReport(requestId, ask, local)) return local.decision;
    return undefined;
  }

  async #cancel(requestId: string): Promise<AgentDecision> {
    // The request may still be on its way to the server: retry `not_found` for a while.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const outcome = await withRetry(
          () => this.#live.call((conn) => conn.cancelRequest(requestId), READ_BOUND_MS),
          { deadlineMs: 10_000 },
        );
        if (outcome.status === "decided") return checkedDecision(outcome.decision);
      } catch (error) {
        const e = toWardenError(error);
        if (e.code === "already_resolved") {
          const outcome = await this.#call((conn) => conn.waitForDecision(requestId, 0));
          if (outcome.status === "decided") return checkedDecision(outcome.decision);
        }
        if (e.code !== "not_found") throw e;
        if (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
      }
      return { behavior: "deny", reason: "cancelled", message: "The request was cancelled." };
    }
  }

  /**
   * Subscribes an approver: delivers every request already pending, then new ones, then every
   * resolution, each exactly once; catches up after a reconnect. Returns an unsubscribe function.
   */
  async subscribe(handlers: SubscribeHandlers): Promise<() => void> {
    const pending = new Map<string, PermissionRequest>();
    const resolved = new Set<string>();
    const deliverRequest = (request: PermissionRequest) => {
      if (pending.has(request.permissionId) || resolved.has(request.permissionId)) return;
      pending.set(request.permissionId, request);
      handlers.onRequest?.(request);
    };
    const deliverResolved = (event: PermissionResolvedEvent) => {
      if (resolved.has(event.permissionId)) return;
      resolved.add(event.permissionId);
      pending.delete(event.permissionId);
      handlers.onResolved?.(event);
    };
    const catchUp = async () => {
      const current = await this.#call((conn) => conn.listPending());
      const ids = new Set(current.map((r) => r.permissionId));
      for (const request of current) deliverRequest(request);
      for (const [permissionId, request] of pending) {
        if (ids.has(permissionId)) continue;
        const record = await this.#call((conn) => conn.getRequest(permissionId)).catch(
          () => undefined,
        );
        if (record?.resolution) {
          deliverResolved({
            sessionId: request.sessionId,
            permissionId,
            requestId: request.requestId,
            resolution: record.resolution,
          });
        }
      }
    };
    const offStatus = handlers.onStatus ? this.#live.onStatus(handlers.onStatus) : () => undefined;
    const detach = await this.#live.attach((conn) => [
      conn.on("permissionRequest", (event) => deliverRequest(event.request)),
      conn.on("permissionResolved", deliverResolved),
      conn.on("rulesChanged", (event) => handlers.onRulesChanged?.(event)),
      conn.onOpen(() => {
        catchUp().catch(() => undefined);
      }),
    ]);
    await catchUp();
    return () => {
      offStatus();
      detach();
    };
  }

  /** Answers a request: `once`, `always` (adds a rule) or `reject`. Errors are typed by code. */
  async respond(permissionId: string, reply: PermissionReply, options?: RespondOptions) {
    // One reply id per call, kept across retries: a resend gets the original answer, a second
    // click (another call) gets `already_resolved`.
    const sent = { ...options, replyId: options?.replyId ?? newReplyId() };
    try {
      return await withRetry(
        () =>
          this.#live.call(
            (conn) => conn.respondPermission(this.sessionId, permissionId, reply, sent),
            REPLY_BOUND_MS,
          ),
        this.retry,
      );
    } catch (error) {
      throw toWardenError(error);
    }
  }

  /** Keeps the local policy current: fetched now, again on every reopen and announced change. */
  #wirePolicy() {
    this.#policyWired = true;
    this.#live.onStatus((status) => {
      if (status !== "open") this.#policy.invalidate();
    });
    void this.#live
      .attach(
        (conn) => [
          conn.on("rulesChanged", () => {
            this.#policy.invalidate();
            void this.refreshPolicy().catch(() => undefined);
          }),
          conn.onOpen(() => {
            this.#policy.invalidate();
            void this.refreshPolicy().catch(() => undefined);
          }),
        ],
        { passive: true },
      )
      .catch(() => {
        this.#policyWired = false;
      });
    void this.refreshPolicy().catch(() => undefined);
  }

  /** Fetches the session's policy for local decisions (done for you; exposed for tests and tools). */
  refreshPolicy(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        for (;;) {
          const epoch = this.#policy.epoch;
          const snapshot = await this.#call((conn) => conn.getPolicy());
          this.#policy.install(snapshot, epoch);
          // Invalidated while fetching: fetch again, or the policy would stay stale until the next change.
          if (this.#policy.fresh || this.#live.status !== "open") return;
        }
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /**
   * Queues a local decision for the audit log, unless the server would refuse its fields (then
   * the actor decides the call, and refuses it with a typed error). On every locally decided
   * call: the checks are the cheap ones (`inputWithinLimits` bounds the input's JSON without
   * building it), and the entry's size is measured later, when its batch is cut.
   */
  #queueReport(requestId: string, ask: PermissionAsk, local: LocalDecision): boolean {
    const entry: LocalDecisionInput = {
      requestId,
      toolName: ask.toolName,
      input: ask.input,
      decision: local.decision.behavior,
      policyVersion: local.version,
      decidedAt: Date.now(),
    };
    if (ask.action !== undefined) entry.action = ask.action;
    if (ask.details !== undefined) entry.details = ask.details;
    if (ask.cost !== undefined) entry.cost = ask.cost;
    if (!fitsCallFields(entry) || !inputWithinLimits(ask.input)) return false;
    this.#reports.push({ entry, local: local.decision });
    return true;
  }

  /** Records one batch; throws (and the queue sends it again) until the actor has it. */
  async #sendReports(batch: readonly QueuedReport<Report>[]): Promise<void> {
    let answer: Awaited<ReturnType<SessionConn["recordLocalDecisions"]>>;
    try {
      answer = await withRetry(
        () =>
          this.#live.call(
            // As JSON text, from each entry's text made when the batch was cut: RivetKit carries
            // a string as it is (an array it walks and re-encodes entry by entry).
            (conn) => conn.recordLocalDecisions(`[${batch.map((item) => item.json).join(",")}]`),
            READ_BOUND_MS,
          ),
        this.retry,
      );
    } catch (error) {
      const e = toWardenError(error);
      if (REFUSED.has(e.code)) this.#localRefused = true;
      throw e;
    }
    if (answer.conflicts.length > 0) {
      // The id was used for another call (some providers reuse call ids): the call still ran, so
      // it is recorded under a fresh id that keeps the original as its prefix.
      const conflicts = new Set(answer.conflicts);
      for (const { entry } of batch) {
        if (!conflicts.has(entry.entry.requestId)) continue;
        const requestId = `${entry.entry.requestId.slice(0, 150)}:${crypto.randomUUID()}`;
        this.#reports.push({ ...entry, entry: { ...entry.entry, requestId } });
      }
    }
    if (answer.mismatches.length === 0) return;
    this.#policy.invalidate();
    void this.refreshPolicy().catch(() => undefined);
    const byId = new Map(batch.map(({ entry }) => [entry.entry.requestId, entry]));
    for (const mismatch of answer.mismatches) {
      const report = byId.get(mismatch.requestId);
      if (!report) continue;
      this.settings.onFastPathMismatch?.({
        sessionId: this.sessionId,
        requestId: mismatch.requestId,
        toolName: report.entry.toolName,
        local: report.local,
        server: mismatch.server,
        policyVersion: report.entry.policyVersion,
      });
    }
  }

  /** Resolves when every local decision so far is in the session's audit log. */
  flush(): Promise<void> {
    return this.#reports.drained();
  }

  /** Local decisions not yet in the audit log (queued or in flight). */
  get unreported(): number {
    return this.#reports.size;
  }

  /** The session's pending requests. */
  listPending(): Promise<PermissionRequest[]> {
    return this.#call((conn) => conn.listPending());
  }

  /** One page of the audit log, newest first. */
  getHistory(query?: { before?: number; limit?: number }) {
    return this.#call((conn) => conn.getHistory(query));
  }

  /** The session's rules, the project's learned rules and the mode. */
  listRules() {
    return this.#call((conn) => conn.listRules());
  }

  /** One call on the live connection, retried through failures. */
  async #call<T>(action: (conn: SessionConn) => Promise<T>): Promise<T> {
    try {
      return await withRetry(() => this.#live.call(action, READ_BOUND_MS), this.retry);
    } catch (error) {
      throw toWardenError(error);
    }
  }

  /**
   * Closes the connection, after waiting up to `flushMs` (default 10 s) for local decisions to
   * reach the audit log. Resolves with how many did not (they are lost with this handle).
   */
  async dispose(options: { flushMs?: number } = {}): Promise<{ unreported: number }> {
    const flushMs = options.flushMs ?? 10_000;
    if (flushMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.flush(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, flushMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const unreported = this.#reports.size;
    this.#reports.close();
    await this.#live.dispose();
    return { unreported };
  }
}

export { WardenError };
