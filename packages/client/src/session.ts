import type {
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RequestOutcome,
  RespondOptions,
  RulesChangedEvent,
  WardenRegistry,
} from "@warden/server";
import { newReplyId } from "@warden/server/protocol";
import type { createClient } from "rivetkit/client";
import { type ConnectionStatus, LiveConnection } from "./connection.ts";
import type { AgentDecision } from "./decision.ts";
import { toWardenError, WardenError } from "./errors.ts";
import { type FastPathMode, LocalPolicy } from "./fast-path.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";

type RivetClient = ReturnType<typeof createClient<WardenRegistry>>;
type SessionHandle = ReturnType<RivetClient["permissionSession"]["getOrCreate"]>;
/** A live connection to a session actor. */
export type SessionConn = ReturnType<SessionHandle["connect"]>;

/** How a session reaches its actor: resolve the key to an id once, then connect by id. */
export interface SessionLink {
  resolveId(): Promise<string>;
  open(actorId: string): SessionConn;
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
  /** The server's decision, or `"ask"` when it would have asked a human (the ask is cancelled). */
  readonly server: AgentDecision | "ask";
  readonly policyVersion: string;
}

/** Settings of a session handle, from the client. */
export interface SessionSettings {
  readonly retry: RetryPolicy;
  readonly fastPath: FastPathMode;
  readonly onFastPathMismatch?: ((mismatch: FastPathMismatch) => void) | undefined;
}

/** Background reports of local decisions in flight at most, per session. */
const MAX_REPORTS_IN_FLIGHT = 8;

/** How long one long-poll waits on the server, and how long the client waits for its answer. */
const WAIT_MS = 25_000;
const LONG_POLL = { attemptTimeoutMs: WAIT_MS + 20_000 };
const READ = { attemptTimeoutMs: 30_000 };

/** One agent session: ask as an agent, watch and answer as an approver. */
export class WardenSession {
  readonly #live: LiveConnection<SessionConn>;
  readonly #policy: LocalPolicy;
  #policyWired = false;
  #refreshing: Promise<void> | undefined;
  readonly #reports: (() => Promise<void>)[] = [];
  #reportsInFlight = 0;
  readonly #idle = new Set<() => void>();
  readonly retry: RetryPolicy;

  constructor(
    readonly projectId: string,
    readonly sessionId: string,
    link: SessionLink,
    readonly settings: SessionSettings,
  ) {
    this.retry = settings.retry;
    this.#live = new LiveConnection(link.resolveId, link.open);
    this.#policy = new LocalPolicy(settings.fastPath);
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

  /**
   * Asks for permission and resolves with the decision: `{ behavior: "allow", input }` (the input
   * to run, edited or not) or `{ behavior: "deny", message, reason }`. Keeps waiting while humans
   * decide, across reconnects and server restarts, by asking again with the same request id.
   * @example const decision = await session.requestPermission({ toolName: "Bash", input: { command: "npm test" } })
   */
  async requestPermission(ask: PermissionAsk): Promise<AgentDecision> {
    const requestId = ask.requestId ?? crypto.randomUUID();
    const { signal } = ask;
    if (signal?.aborted)
      return { behavior: "deny", reason: "cancelled", message: "The request was cancelled." };
    if (this.settings.fastPath !== "off") {
      if (!this.#policyWired) this.#wirePolicy();
      const local = this.#policy.decide(ask.toolName, ask.input);
      if (local) {
        this.#report(requestId, ask, local.decision, local.version);
        return local.decision;
      }
    }
    try {
      let outcome: RequestOutcome = await withRetry(
        () =>
          this.#live.call((conn) =>
            conn.requestPermission({
              requestId,
              toolName: ask.toolName,
              input: ask.input,
              ...(ask.action !== undefined ? { action: ask.action } : {}),
              ...(ask.details !== undefined ? { details: ask.details } : {}),
              ...(ask.cost !== undefined ? { cost: ask.cost } : {}),
              waitMs: WAIT_MS,
            }),
          ),
        this.retry,
        { signal, ...LONG_POLL },
      );
      while (outcome.status === "pending") {
        outcome = await withRetry(
          () => this.#live.call((conn) => conn.waitForDecision(requestId, WAIT_MS)),
          this.retry,
          {
            signal,
            ...LONG_POLL,
          },
        );
      }
      return outcome.decision;
    } catch (error) {
      if (signal?.aborted) return this.#cancel(requestId);
      throw toWardenError(error);
    }
  }

  async #cancel(requestId: string): Promise<AgentDecision> {
    // The request may still be on its way to the server: retry `not_found` for a while.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const outcome = await withRetry(
          () => this.#live.call((conn) => conn.cancelRequest(requestId)),
          { deadlineMs: 10_000 },
          READ,
        );
        if (outcome.status === "decided") return outcome.decision;
      } catch (error) {
        const e = toWardenError(error);
        if (e.code === "already_resolved") {
          const outcome = await this.#call(() =>
            this.#live.call((conn) => conn.waitForDecision(requestId, 0)),
          );
          if (outcome.status === "decided") return outcome.decision;
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
      const current = await this.#call(() => this.#live.call((conn) => conn.listPending()));
      const ids = new Set(current.map((r) => r.permissionId));
      for (const request of current) deliverRequest(request);
      for (const [permissionId, request] of pending) {
        if (ids.has(permissionId)) continue;
        const record = await this.#call(() =>
          this.#live.call((conn) => conn.getRequest(permissionId)),
        ).catch(() => undefined);
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
          this.#live.call((conn) =>
            conn.respondPermission(this.sessionId, permissionId, reply, sent),
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
      .attach((conn) => [
        conn.on("rulesChanged", () => {
          this.#policy.invalidate();
          void this.refreshPolicy().catch(() => undefined);
        }),
        conn.onOpen(() => {
          this.#policy.invalidate();
          void this.refreshPolicy().catch(() => undefined);
        }),
      ])
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
          const snapshot = await this.#call(() => this.#live.call((conn) => conn.getPolicy()));
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

  /** Sends a local decision to the actor in the background, for the audit log and budgets. */
  #report(requestId: string, ask: PermissionAsk, local: AgentDecision, version: string) {
    this.#reports.push(async () => {
      const outcome = await withRetry(
        () =>
          this.#live.call((conn) =>
            conn.requestPermission({
              requestId,
              toolName: ask.toolName,
              input: ask.input,
              ...(ask.action !== undefined ? { action: ask.action } : {}),
              ...(ask.details !== undefined ? { details: ask.details } : {}),
              ...(ask.cost !== undefined ? { cost: ask.cost } : {}),
              waitMs: 0,
            }),
          ),
        this.retry,
        READ,
      );
      let server: AgentDecision | "ask";
      if (outcome.status === "pending") {
        server = "ask";
        await withRetry(
          () => this.#live.call((conn) => conn.cancelRequest(requestId)),
          this.retry,
          READ,
        ).catch(() => undefined);
      } else {
        server = outcome.decision;
        if (server.behavior === local.behavior) return;
      }
      this.#policy.invalidate();
      void this.refreshPolicy().catch(() => undefined);
      this.settings.onFastPathMismatch?.({
        sessionId: this.sessionId,
        requestId,
        toolName: ask.toolName,
        local,
        server,
        policyVersion: version,
      });
    });
    this.#pump();
  }

  #pump() {
    while (this.#reportsInFlight < MAX_REPORTS_IN_FLIGHT && this.#reports.length > 0) {
      const report = this.#reports.shift()!;
      this.#reportsInFlight += 1;
      report()
        .catch(() => undefined)
        .finally(() => {
          this.#reportsInFlight -= 1;
          this.#pump();
        });
    }
    if (this.#reportsInFlight === 0 && this.#reports.length === 0) {
      for (const resolve of this.#idle) resolve();
      this.#idle.clear();
    }
  }

  /** Resolves when every local decision so far has reached the server. */
  flush(): Promise<void> {
    if (this.#reportsInFlight === 0 && this.#reports.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** The session's pending requests. */
  listPending(): Promise<PermissionRequest[]> {
    return this.#call(() => this.#live.call((conn) => conn.listPending()));
  }

  /** One page of the audit log, newest first. */
  getHistory(query?: { before?: number; limit?: number }) {
    return this.#call(() => this.#live.call((conn) => conn.getHistory(query)));
  }

  /** The session's rules, the project's learned rules and the mode. */
  listRules() {
    return this.#call(() => this.#live.call((conn) => conn.listRules()));
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(call, this.retry, READ);
    } catch (error) {
      throw toWardenError(error);
    }
  }

  /** Closes the connection, after waiting up to `flushMs` (default 5 s) for local decisions to reach the actor. */
  async dispose(options: { flushMs?: number } = {}): Promise<void> {
    const flushMs = options.flushMs ?? 5_000;
    if (flushMs > 0)
      await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, flushMs))]);
    this.#reports.length = 0;
    await this.#live.dispose();
  }
}

export { WardenError };
