import type {
  HistoryAppendedEvent,
  PermissionReply,
  PermissionResolvedEvent,
  ProjectHistoryEntry,
  ProjectHistoryPage,
  ProjectHistoryQuery,
  Resolution,
  RespondOptions,
  InboxRequest as ServerInboxRequest,
  WardenRegistry,
} from "@warden/server";
import { isActorGone, lateReplyAnswer, newReplyId } from "@warden/server/protocol";
import type { createClient } from "rivetkit/client";
import { type ConnectionStatus, LiveConnection } from "./connection.ts";
import { CreationGate, type CreationGateOptions } from "./creation-gate.ts";
import { toWardenError, WardenError } from "./errors.ts";
import type { ActorResolver } from "./resolve-actor.ts";
import { REPLY_BOUND_MS, type RetryOptions, type RetryPolicy, withRetry } from "./retry.ts";

type RivetClient = ReturnType<typeof createClient<WardenRegistry>>;
type ProjectHandle = ReturnType<RivetClient["wardenProject"]["getOrCreate"]>;
type ProjectConn = ReturnType<ProjectHandle["connect"]>;
type SessionHandle = ReturnType<RivetClient["permissionSession"]["getOrCreate"]>;
type SessionByIdHandle = ReturnType<RivetClient["permissionSession"]["getForId"]>;
/** What the inbox calls on a session, however it is addressed. */
type SessionCalls = Pick<SessionHandle, "respondPermission" | "getRequest">;

/**
 * A pending request as the inbox shows it: its session, tool, action line, input, details,
 * suggestions (with breadth warnings), deadline; `sessionActorId` is where replies go.
 */
export type InboxRequest = ServerInboxRequest;

/** A request that was settled, wherever: the outcome, who decided, the rules added. */
export type InboxResolved = PermissionResolvedEvent;

/** Handlers of an inbox subscription. */
export interface InboxHandlers {
  /** Every pending request of the project exactly once: those already pending first, then new ones. */
  readonly onRequest: (request: InboxRequest) => void;
  /** Every settlement of a request this subscription delivered, exactly once, wherever it was made. */
  readonly onResolved: (event: InboxResolved) => void;
  readonly onStatus?: (status: ConnectionStatus) => void;
  /** The project's history gained entries (of a session this token may reach): read it again. */
  readonly onHistory?: (event: HistoryAppendedEvent) => void;
}

/** A resolved request in the project's history: who asked, what, how it ended, who decided. */
export type HistoryEntry = ProjectHistoryEntry;

/** One page of history, newest first; pass `nextBefore` as `before` for the next page. */
export type HistoryPage = ProjectHistoryPage;

/** Which history to read: `sessionId` for one session, `before` a `nextBefore`, `limit` ≤ 500. */
export type HistoryQuery = ProjectHistoryQuery;

/** What the inbox needs of the client that made it. */
export interface InboxLink {
  readonly projectId: string;
  readonly retry: RetryPolicy;
  project(): ProjectHandle;
  openProject(actorId: string): ProjectConn;
  /** A stateless handle on a session (no connection kept open), by key; `signal` aborts its calls. */
  session(sessionId: string, signal?: AbortSignal): SessionHandle;
  /** The same, by the session actor's id (no lookup of its key by the engine). */
  sessionById(actorId: string, signal?: AbortSignal): SessionByIdHandle;
  /** The client's way to turn the project's key into its actor id. */
  readonly resolveId: ActorResolver;
}

/** The bound of a read: an attempt, or a call on the live connection (connection.ts). */
const READ_BOUND_MS = 30_000;
const READ = { attemptTimeoutMs: READ_BOUND_MS };
/** Session actor ids an inbox remembers (the oldest learned is forgotten first). */
const MAX_ACTOR_IDS = 10_000;
/** Resolutions an inbox remembers having heard, to answer a reply sent after them (oldest first out). */
const MAX_HEARD = 10_000;
/**
 * How many reply requests one inbox has in flight at once: the client's adaptive bound
 * (creation-gate.ts), cut when a reply is slower than `targetMs` or fails. 100 asks at once
 * answered by two approvers sent 200 replies at once, each re-sent on its 10 s bound while the
 * first still waited in the engine's gateway: ~2,900 reply requests for ~300 asks, until the
 * engine's storage stalled (docs/scale.md, "Replies without a storm").
 */
export const REPLY_GATE: CreationGateOptions = { initial: 8, min: 1, max: 32, targetMs: 2_000 };

/**
 * Whether a call addressed by id missed its session: the actor is gone, or the id names another
 * session. Either way the session refused before changing anything; the key is the way there.
 */
function missedById(error: unknown): boolean {
  const e = error as { group?: unknown; code?: unknown } | undefined;
  return isActorGone(error) || (e?.group === "user" && e.code === "wrong_session");
}

/** A reply waiting for its slot: withdrawn (not sent) when the inbox hears its request settled. */
interface WaitingReply {
  readonly replyId: string;
  /** Whether this inbox made the reply id (not the caller's `options.replyId`). */
  readonly ownId: boolean;
  readonly withdraw: AbortController;
}

/** What a withdrawn reply's caller gets: the answer the session would have given it. */
class AnsweredHere {
  constructor(readonly answer: { permissionId: string; resolution: Resolution } | WardenError) {}
}

/**
 * The pending requests of every session of a project, for approvers.
 * @example
 * const inbox = warden.inbox();
 * await inbox.subscribe({
 *   onRequest: (r) => console.log(r.sessionId, r.action),
 *   onResolved: (e) => console.log(e.permissionId, e.resolution.outcome),
 * });
 * await inbox.respond(request.sessionId, request.permissionId, "once");
 */
export class WardenInbox {
  readonly #live: LiveConnection<ProjectConn>;
  /**
   * Each session's actor id, learned from the requests listed or announced (`sessionActorId`).
   * A reply addressed by id spares the engine a lookup of the session's key: under load those
   * lookups were its slowest operations (docs/scale.md).
   */
  readonly #actorIds = new Map<string, string>();
  /** Reply requests in flight: each holds a slot until it is answered or aborted. */
  readonly #replies = new CreationGate(REPLY_GATE);
  /**
   * Settlements this inbox heard, by `sessionId/permissionId`. Two approvers racing on every ask
   * sent two replies each, one always too late: half of all reply traffic (docs/scale.md,
   * "Replies without a storm"). A reply still waiting for its slot when its request settles is
   * answered here instead of being sent.
   */
  readonly #heard = new Map<string, Resolution>();
  /** Replies waiting for a slot, by `sessionId/permissionId`. */
  readonly #waiting = new Map<string, Set<WaitingReply>>();
  /**
   * This approver's principal id, learned from a resolution made by one of its own replies (its
   * reply id is this inbox's): `already_resolved` says whether the winner was the caller itself.
   */
  #me: string | undefined;

  constructor(readonly link: InboxLink) {
    // A fresh handle per attempt (see `ActorResolver`).
    this.#live = new LiveConnection(() => link.resolveId(link.project()), link.openProject);
  }

  get projectId(): string {
    return this.link.projectId;
  }

  get status(): ConnectionStatus {
    return this.#live.status;
  }

  /**
   * Delivers every request already pending in the project, then new ones, then their
   * resolutions; catches up after a reconnect or a server restart. Resolves once the pending
   * requests were delivered, with the function that unsubscribes.
   */
  async subscribe(handlers: InboxHandlers): Promise<() => void> {
    const pending = new Map<string, InboxRequest>();
    const resolved = new Set<string>();
    const key = (sessionId: string, permissionId: string) => `${sessionId}/${permissionId}`;
    const deliverRequest = (request: InboxRequest) => {
      const k = key(request.sessionId, request.permissionId);
      if (pending.has(k) || resolved.has(k)) return;
      pending.set(k, request);
      handlers.onRequest(request);
    };
    const deliverResolved = (event: InboxResolved) => {
      const k = key(event.sessionId, event.permissionId);
      if (resolved.has(k) || !pending.has(k)) return;
      resolved.add(k);
      pending.delete(k);
      handlers.onResolved(event);
    };
    /** A request left the index without its resolution: read it from the session. */
    const resolveFromSession = async (request: InboxRequest) => {
      const record = await this.#call(() =>
        this.#toSession(request.sessionId, (s) => s.getRequest(request.permissionId)),
      ).catch(() => undefined);
      if (record?.resolution) {
        this.#settled(request.sessionId, request.permissionId, record.resolution);
        deliverResolved({
          sessionId: request.sessionId,
          permissionId: request.permissionId,
          requestId: request.requestId,
          resolution: record.resolution,
        });
      } else if (record?.status !== "pending") {
        // Gone from the session too (evicted): drop it without a resolution to report.
        pending.delete(key(request.sessionId, request.permissionId));
      }
    };
    // The catch-up running now, if any: every one starts after the listeners below are attached.
    let running: Promise<void> | undefined;
    const catchUp = () => {
      const run = listAll();
      running = run;
      void run
        .finally(() => {
          if (running === run) running = undefined;
        })
        .catch(() => undefined);
      return run;
    };
    const listAll = async () => {
      const ids = new Set<string>();
      for await (const page of this.#pages()) {
        for (const request of page) {
          ids.add(key(request.sessionId, request.permissionId));
          deliverRequest(request);
        }
      }
      for (const [k, request] of [...pending]) if (!ids.has(k)) await resolveFromSession(request);
    };
    const offStatus = handlers.onStatus ? this.#live.onStatus(handlers.onStatus) : () => undefined;
    const detach = await this.#live.attach((conn) => [
      conn.on("inboxChanged", (change) => {
        if (change.kind === "pending" && change.request) {
          this.#learn(change.request);
          deliverRequest(change.request);
        } else if (change.kind === "resolved") {
          if (change.resolution)
            this.#settled(change.sessionId, change.permissionId, change.resolution);
          const request = pending.get(key(change.sessionId, change.permissionId));
          if (!request) return;
          if (change.resolution) {
            deliverResolved({
              sessionId: change.sessionId,
              permissionId: change.permissionId,
              requestId: change.requestId ?? request.requestId,
              resolution: change.resolution,
            });
          } else void resolveFromSession(request);
        }
      }),
      conn.onOpen(() => {
        catchUp().catch(() => undefined);
      }),
      ...(handlers.onHistory ? [conn.on("historyAppended", handlers.onHistory)] : []),
    ]);
    // The connection's first open usually starts a catch-up already; it covers this one (it began
    // after the listeners were attached), and 10,000 pending requests are read once, not twice.
    await (running ?? catchUp());
    return () => {
      offStatus();
      detach();
    };
  }

  /** The project's pending requests now. */
  async list(): Promise<InboxRequest[]> {
    const all: InboxRequest[] = [];
    for await (const page of this.#pages()) all.push(...page);
    return all;
  }

  /** The inbox page by page (an answer carries at most 1 MiB: 10,000 requests take many). */
  async *#pages(): AsyncGenerator<InboxRequest[]> {
    let after: string | undefined;
    do {
      const query = after === undefined ? {} : { after };
      const page = await this.#read((conn) => conn.listInbox(query));
      for (const request of page.requests) this.#learn(request);
      yield page.requests;
      after = page.next ?? undefined;
    } while (after !== undefined);
  }

  /**
   * Answers a request: `once`, `always` (adds a rule: the first suggestion or `options.rule`, for
   * the session or with `scope: "project"` for the project) or `reject`. Fails with a
   * `WardenError`: `already_resolved` (its `metadata.resolution` says how), `forbidden`,
   * `not_found`, `invalid_input`, `invalid_rule`.
   */
  async respond(
    sessionId: string,
    permissionId: string,
    reply: PermissionReply,
    options?: RespondOptions,
  ) {
    // One reply id per call, kept across retries: a resend gets the original answer, a second
    // click (another call, another tab) gets `already_resolved`.
    const sent = { ...options, replyId: options?.replyId ?? newReplyId() };
    const k = `${sessionId}/${permissionId}`;
    const waiting: WaitingReply = {
      replyId: sent.replyId,
      ownId: options?.replyId === undefined,
      withdraw: new AbortController(),
    };
    const set = this.#waiting.get(k) ?? new Set();
    this.#waiting.set(k, set);
    set.add(waiting);
    try {
      // Bounded attempts: a reply sent to a runner that died mid-call would otherwise wait for an
      // answer that never comes. A retry of a reply that had landed gets the resolution it made
      // (the same reply id), or `already_resolved` if another reply won. Each attempt, the first
      // and every retry, is withdrawn while it waits for its slot once the inbox hears the
      // request settled (`#settled`).
      const answered = await withRetry(async () => {
        this.#answerHeard(k, permissionId, waiting);
        try {
          return await this.#replies.run(
            () =>
              this.#aborting(REPLY_BOUND_MS, (signal) =>
                this.#toSession(
                  sessionId,
                  (s) => s.respondPermission(sessionId, permissionId, reply, sent),
                  signal,
                ),
              ),
            waiting.withdraw.signal,
          );
        } catch (error) {
          if (!(error instanceof AnsweredHere)) throw error;
          // `already_resolved` is not retried.
          if (error.answer instanceof WardenError) throw error.answer;
          return error.answer;
        }
      }, this.link.retry);
      if (answered.resolution.replyId === sent.replyId && answered.resolution.decidedBy.id)
        this.#me = answered.resolution.decidedBy.id;
      return answered;
    } catch (error) {
      throw toWardenError(error);
    } finally {
      set.delete(waiting);
      if (set.size === 0 && this.#waiting.get(k) === set) this.#waiting.delete(k);
    }
  }

  /**
   * The inbox heard a request settled: remembered, and every reply to it still waiting for a slot
   * is answered here, as the session would answer it (`lateReplyAnswer`), and not sent. The
   * settlement is the session's word, reported after it was durable; a reply not sent changes
   * nothing, as a late reply at the session changes nothing.
   */
  #settled(sessionId: string, permissionId: string, resolution: Resolution) {
    const k = `${sessionId}/${permissionId}`;
    this.#heard.delete(k);
    this.#heard.set(k, resolution);
    if (this.#heard.size > MAX_HEARD) {
      const oldest = this.#heard.keys().next().value;
      if (oldest !== undefined) this.#heard.delete(oldest);
    }
    for (const waiting of this.#waiting.get(k) ?? []) this.#answerHeard(k, permissionId, waiting);
  }

  /** Withdraws a waiting reply whose request this inbox heard settled, when its answer is known. */
  #answerHeard(k: string, permissionId: string, waiting: WaitingReply) {
    const resolution = this.#heard.get(k);
    if (resolution === undefined || waiting.withdraw.signal.aborted) return;
    // An attempt of this very reply (sent, then aborted on its bound) may have landed: the
    // resolution then names this approver (when the id is this inbox's own: one a caller passed
    // in `options.replyId` proves nothing about who used it).
    if (waiting.ownId && resolution.replyId === waiting.replyId && resolution.decidedBy.id)
      this.#me = resolution.decidedBy.id;
    const answer = lateReplyAnswer(permissionId, resolution, {
      replyId: waiting.replyId,
      // Until this approver's id is known, whether it decided cannot be told here: sent.
      isCaller: (decider) =>
        decider.kind !== "approver"
          ? false
          : this.#me === undefined
            ? undefined
            : decider.id === this.#me,
    });
    if (answer === null) return;
    waiting.withdraw.abort(
      new AnsweredHere(
        answer.kind === "resend"
          ? { permissionId, resolution }
          : new WardenError("already_resolved", answer.message, answer.metadata),
      ),
    );
  }

  /**
   * One attempt, aborted (its HTTP request cancelled) when it outlives `ms`: it fails with
   * `unavailable` (transient), and a retry is sent only once this attempt is no longer in flight.
   * The bound runs from the request's start, not from its wait for a slot.
   */
  async #aborting<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new WardenError("unavailable", `no answer within ${ms} ms`));
        controller.abort();
      }, ms);
    });
    try {
      return await Promise.race([call(controller.signal), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Resolved requests of the project's sessions (those this token may reach; one with
   * `sessionId`), newest resolution first, from the project's history index: reading it wakes no
   * session. Pages go by a cursor: pass `nextBefore` as `before`; entries that arrive meanwhile
   * never shift or repeat a page. The index holds what sessions reported a moment after each
   * decision, up to its retention (docs/inbox.md); a session's full audit log is
   * `warden.session(id).getHistory()`.
   */
  history(query: HistoryQuery = {}): Promise<HistoryPage> {
    return this.#read((conn) => conn.getHistory(query));
  }

  /** Notes where a request's session lives. */
  #learn(request: InboxRequest) {
    const id = request.sessionActorId;
    if (id === undefined || this.#actorIds.get(request.sessionId) === id) return;
    this.#actorIds.delete(request.sessionId);
    this.#actorIds.set(request.sessionId, id);
    if (this.#actorIds.size > MAX_ACTOR_IDS) {
      const oldest = this.#actorIds.keys().next().value;
      if (oldest !== undefined) this.#actorIds.delete(oldest);
    }
  }

  /**
   * Calls a session by its actor's id when known, else (or when the id missed it) by key. The id
   * decides nothing: the session checks this client's token against its own project and session
   * whichever way it is reached, and refuses a call that is not its own before changing anything.
   */
  async #toSession<T>(
    sessionId: string,
    call: (session: SessionCalls) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const id = this.#actorIds.get(sessionId);
    if (id !== undefined) {
      try {
        return await call(this.link.sessionById(id, signal));
      } catch (error) {
        if (!missedById(error)) throw error;
        if (this.#actorIds.get(sessionId) === id) this.#actorIds.delete(sessionId);
      }
    }
    return call(this.link.session(sessionId, signal));
  }

  /** A read on the live connection, which is replaced when it leaves one unanswered. */
  #read<T>(action: (conn: ProjectConn) => Promise<T>): Promise<T> {
    return this.#call(() => this.#live.call(action, READ_BOUND_MS), {});
  }

  async #call<T>(call: () => Promise<T>, attempts: RetryOptions = READ): Promise<T> {
    try {
      return await withRetry(call, this.link.retry, attempts);
    } catch (error) {
      throw toWardenError(error);
    }
  }

  /** Closes the connection. */
  async dispose(): Promise<void> {
    await this.#live.dispose();
  }
}
