import { WardenError } from "./errors.ts";
import { afterWaiting } from "./retry.ts";

/**
 * The status of a live connection, as approver UIs show it. `idle`: closed because nothing used
 * it for `idleCloseMs` (agents' sessions only); the next call opens it again.
 */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "idle" | "closed";

export type RivetStatus = "idle" | "connecting" | "connected" | "disconnected";

/** What this module needs of a RivetKit actor connection. */
interface RivetConn {
  onStatusChange(callback: (status: RivetStatus) => void): () => void;
  dispose(): Promise<void>;
}

const MIN_REOPEN_MS = 250;
const MAX_REOPEN_MS = 30_000;
/**
 * How long a connection may stay unopened while something waits on it before it is replaced;
 * doubled after each replacement that did not open, up to MAX_STALLED_MS, and reset on open.
 * An open that the engine's gateway routed to an actor's dead home never completes, even once the
 * actor runs again elsewhere: the cap bounds how long a client stays away from a recovered actor
 * (with 30 s, sessions answered a fresh client 7–15 s after an engine failover but their own
 * clients only after ~60 s; docs/deploy.md), and still lets an open that is merely slow finish.
 */
const STALLED_MS = 8_000;
const MAX_STALLED_MS = 16_000;
/** How long `dispose()` waits for the socket's closing handshake. */
const DISPOSE_MS = 2_000;

/** Wires listeners onto one connection; returns what undoes them. */
export type Attach<C> = (conn: C) => (() => void)[];

/** Options of `LiveConnection.attach`. */
export interface AttachOptions {
  /**
   * Listeners that only watch the connection while it is open (e.g. the fast path's policy
   * watcher): they do not keep a connection that may close when idle open, and are wired again
   * when a call reopens it. Others (an approver's subscription) keep it open.
   */
  readonly passive?: boolean;
}

/** Options of a `LiveConnection`. */
export interface LiveConnectionOptions {
  /**
   * Close the connection after this many ms without a call in flight or a listener that keeps
   * it open; the next call opens a new one. Undefined: never close it.
   */
  readonly idleCloseMs?: number | undefined;
  /**
   * Runs every reopening of a connection (after an idle close, which wakes its sleeping actor, or
   * after a connection that stalled or died) under a bound shared by the client's sessions: `wake`
   * creates the connection at once and resolves once it is open or dropped, so the bound holds
   * until then. Undefined: reopen at once.
   */
  readonly wakes?: WakeGate | undefined;
}

/**
 * What a live connection is doing, for telling why a session stopped answering (`pnpm load`
 * prints it for sessions with a call unanswered for a minute).
 */
export interface ConnectionDiagnostics {
  readonly status: ConnectionStatus;
  /** RivetKit's status of the current connection; `none` while there is none. */
  readonly link: RivetStatus | "none";
  /** The actor this connection addresses, once its key has been resolved. */
  readonly actorId: string | undefined;
  /** Calls in flight or waiting for a connection. */
  readonly calls: number;
  /** Whether a reopening waits its turn under the client's wake bound. */
  readonly waking: boolean;
  /** Listeners attached (passive ones included). */
  readonly listeners: number;
  /** The stall bound the next unopened connection gets. */
  readonly stalledMs: number;
}

/** Runs one wake under a bound; rejects with the wake's error (see `LiveConnectionOptions.wakes`). */
export type WakeGate = (wake: () => Promise<void>) => Promise<void>;

/** One RivetKit connection and what settles the calls made on it when it is dropped. */
interface Link<C> {
  readonly conn: C;
  status: RivetStatus;
  /** Rejects once the connection is dropped (replaced, given up, disposed). */
  readonly dropped: Promise<never>;
  readonly drop: (error: WardenError) => void;
  /** Resolves once the connection is open: calls' bounds count from then (see `call`). */
  readonly opened: Promise<void>;
  readonly open: () => void;
  /** Resolves once the connection is forgotten (dropped, closed for idleness, disposed). */
  readonly closed: Promise<void>;
  readonly close: () => void;
}

/**
 * Keeps one RivetKit connection to an actor alive, for calls and for listeners.
 *
 * What makes a plain `handle.connect()` stall in rivetkit 2.3.19, all seen with a real engine:
 * - a connection whose (re)open is refused never settles. RivetKit opens its socket with the
 *   runtime's `WebSocket`; Node 22's (undici 6) fires `error` but never `close` when the TCP
 *   connection is refused, and stays CONNECTING. RivetKit waits for `close` to retry, so after a
 *   crash of the engine its reconnect loop hangs on that first attempt for good, and every action
 *   queued on the connection waits forever (measured: an agent never heard back after the server
 *   and engine were SIGKILLed and restarted). Its `dispose()` waits for that `close` too. Here a
 *   connection that does not open while calls or listeners wait on it is replaced after
 *   STALLED_MS, the calls made on it fail as transient (the caller retries them on the new one),
 *   and `dispose()` is bounded;
 * - a connection addressed by key asks the engine's gateway to resolve the key on every (re)open,
 *   and that query sometimes times out after 15 s (`pegboard/route_resolve_query_timeout`). Here
 *   the key is resolved once to the actor's id (a separate API call, retried) and connections
 *   address the actor by id;
 * - a connection whose open fails with an error RivetKit does not classify as retryable goes
 *   `idle` for good. Here it is dropped: the next call opens a fresh one, and listeners get a
 *   fresh one after a backoff (250 ms doubling to 30 s).
 * Listeners are attached again to every new connection.
 *
 * With `idleCloseMs`, a connection that nothing uses (no call in flight, no listener but passive
 * ones) is closed after that long. The engine keeps every actor that has a connection awake, and
 * an awake actor costs it ~7 storage transactions every ~7 s (its workflow's liveness loop;
 * docs/scale.md), connected or not; once closed, the actor sleeps after its sleep timeout and
 * costs nothing. Closing happens only between calls, so no call is cut off; the next call opens
 * a connection first (reopened by id, no key lookup) and runs on it. That reopening wakes the
 * actor, the engine's costly step: with `wakes`, it waits its turn under the client's bound, so
 * that a client whose sessions all idled does not wake hundreds of actors at once (docs/scale.md).
 * So does every other reopening (a stalled or dead connection's replacement): a wake that stalled
 * tries again in the queue, not ahead of it.
 */
export class LiveConnection<C extends RivetConn> {
  #link: Link<C> | undefined;
  #actorId: Promise<string> | undefined;
  /** The resolved actor id, for diagnostics. */
  #knownActorId: string | undefined;
  #disposed = false;
  #everOpen = false;
  /** Whether a connection was opened before: the next one is a reopening (see `#current`). */
  #linked = false;
  #status: ConnectionStatus = "connecting";
  #reopenDelay = MIN_REOPEN_MS;
  #stalledMs = STALLED_MS;
  #reopenTimer: ReturnType<typeof setTimeout> | undefined;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The reopening after an idle close, while it waits its turn: every caller shares it. */
  #waking: Promise<Link<C>> | undefined;
  /** Calls in flight (or about to get a connection): like listeners, they need one that opens. */
  #calls = 0;
  readonly #attached = new Set<{
    attach: Attach<C>;
    undo: (() => void)[];
    readonly passive: boolean;
  }>();
  readonly #statusListeners = new Set<(status: ConnectionStatus) => void>();

  constructor(
    readonly resolveId: () => Promise<string>,
    readonly open: (actorId: string) => C,
    readonly options: LiveConnectionOptions = {},
  ) {}

  /** The live connection, opened on first use. Prefer `call`, which survives a stalled connection. */
  async get(): Promise<C> {
    return (await this.#current()).conn;
  }

  /**
   * Runs one action on the live connection. Fails with a transient `unavailable` when that
   * connection is dropped before the action answers (retry it), `aborted` once disposed.
   *
   * With `boundMs`, an action still unanswered after that long means the connection is on a dead
   * path: it is replaced, and this call and every other one on it fail as transient (their
   * retries run on the new one). Measured on a cluster: after a runner's SIGKILL the engine's
   * gateway keeps a client's socket open to the dead actor and answers nothing on it for 30–45 s
   * (its hibernating-socket ack timeout and GC), while the actor runs again elsewhere after
   * ~10 s; a retry on the same socket waited as long again.
   */
  async call<T>(action: (conn: C) => Promise<T>, boundMs?: number): Promise<T> {
    // Counted before the connection is awaited, so that an idle close cannot come in between.
    this.#calls += 1;
    this.#holdOpen();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const asked = performance.now();
    /** How long this call waited for its connection (its turn under the wake bound, a creation). */
    let waitedMs = 0;
    try {
      const link = await this.#current();
      waitedMs = performance.now() - asked;
      this.#watch(link);
      const racers: Promise<T>[] = [action(link.conn), link.dropped];
      if (boundMs !== undefined) {
        // Counted from the open: an open that stalls is the stall bound's case (`#watch`), and a
        // slow open under load must not make every call on it look dead.
        racers.push(
          new Promise<never>((_resolve, reject) => {
            void link.opened.then(() => {
              if (finished) return;
              timer = setTimeout(() => {
                const error = new WardenError(
                  "unavailable",
                  `no answer within ${boundMs} ms; the connection is replaced`,
                );
                if (this.#link === link) this.#abandon(link, error);
                reject(error);
              }, boundMs);
            });
          }),
        );
      }
      return await Promise.race(racers);
    } catch (error) {
      throw afterWaiting(error, waitedMs);
    } finally {
      finished = true;
      clearTimeout(timer);
      this.#calls -= 1;
      this.#armIdleClose();
    }
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** What this connection is doing now (see `ConnectionDiagnostics`). */
  get diagnostics(): ConnectionDiagnostics {
    return {
      status: this.#status,
      link: this.#link?.status ?? "none",
      actorId: this.#knownActorId,
      calls: this.#calls,
      waking: this.#waking !== undefined,
      listeners: this.#attached.size,
      stalledMs: this.#stalledMs,
    };
  }

  /** Attaches listeners to the connection and to every one that replaces it. */
  async attach(attach: Attach<C>, options: AttachOptions = {}): Promise<() => void> {
    const link = await this.#current();
    const entry = { attach, undo: attach(link.conn), passive: options.passive === true };
    this.#attached.add(entry);
    this.#holdOpen();
    this.#watch(link);
    this.#armIdleClose();
    return () => {
      for (const undo of entry.undo) undo();
      this.#attached.delete(entry);
      this.#armIdleClose();
    };
  }

  /** Calls back on every status change. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  async #current(): Promise<Link<C>> {
    if (this.#disposed) throw disposedError();
    if (this.#link) return this.#link;
    this.#actorId ??= this.resolveId().catch((error) => {
      this.#actorId = undefined;
      throw error;
    });
    const actorId = await this.#actorId;
    this.#knownActorId = actorId;
    if (this.#disposed) throw disposedError();
    if (this.#link) return this.#link;
    // Every open after the first is a reopening (after an idle close, a stall, a dead path): it
    // may wake the actor, so it waits its turn under the client's bound. A stalled wake's next try
    // opened at once before, one more wake outside the bound for each that stalled.
    const wakes = this.options.wakes;
    if (wakes === undefined || !this.#linked) return this.#replace(actorId);
    this.#waking ??= this.#wake(wakes, actorId).finally(() => {
      this.#waking = undefined;
    });
    return this.#waking;
  }

  /**
   * Reopens a connection closed for idleness once the gate lets it: resolves with the new
   * connection at once (calls queue on it as on any opening one, and keep their retry and stall
   * logic), while the gate's slot is held until it opens or is dropped, so that the bound counts
   * the engine's whole wake and adapts to its duration. A connection dropped unopened counts as
   * a sign of overload, as a failed creation does.
   */
  #wake(wakes: WakeGate, actorId: string): Promise<Link<C>> {
    return new Promise<Link<C>>((resolve, reject) => {
      wakes(async () => {
        if (this.#disposed) return reject(disposedError());
        const link = this.#link ?? this.#replace(actorId);
        resolve(link);
        await Promise.race([link.opened, link.dropped, link.closed]);
        // After `resolve`, a rejection here is the gate's sign of overload only; before it (an open
        // that threw), it is the callers' error.
      }).catch(reject);
    });
  }

  #setStatus(status: ConnectionStatus) {
    if (this.#status === status) return;
    this.#status = status;
    for (const listener of [...this.#statusListeners]) listener(status);
  }

  /** Whether a listener needs a connection even when no call does. */
  get #listening(): boolean {
    const mayIdle = this.options.idleCloseMs !== undefined;
    for (const entry of this.#attached) if (!entry.passive || !mayIdle) return true;
    return false;
  }

  get #demand(): boolean {
    return this.#calls > 0 || this.#listening;
  }

  #holdOpen() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Closes the connection once nothing has used it for `idleCloseMs`. */
  #armIdleClose() {
    const idleMs = this.options.idleCloseMs;
    if (idleMs === undefined || this.#demand || !this.#link || this.#disposed) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const link = this.#link;
      if (!link || this.#demand || this.#disposed) return;
      // Nothing waits on it: no call to fail; passive listeners are wired again on the next open.
      this.#drop(link);
      for (const entry of this.#attached) for (const undo of entry.undo) undo();
      this.#setStatus("idle");
    }, idleMs);
  }

  #replace(actorId: string): Link<C> {
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const old = this.#link;
    const conn = this.open(actorId);
    this.#linked = true;
    let drop: (error: WardenError) => void = () => undefined;
    const dropped = new Promise<never>((_resolve, reject) => {
      drop = reject;
    });
    dropped.catch(() => undefined);
    let open: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    let close: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => {
      close = resolve;
    });
    const link: Link<C> = {
      conn,
      status: "connecting",
      dropped,
      drop,
      opened,
      open,
      closed,
      close,
    };
    this.#link = link;
    this.#setStatus(this.#everOpen ? "reconnecting" : "connecting");
    conn.onStatusChange((status) => {
      link.status = status;
      if (this.#link !== link || this.#disposed) return;
      if (status === "connected") {
        link.open();
        clearTimeout(this.#stallTimer);
        this.#stallTimer = undefined;
        this.#everOpen = true;
        this.#reopenDelay = MIN_REOPEN_MS;
        this.#stalledMs = STALLED_MS;
        this.#setStatus("open");
      } else if (status === "idle") {
        // RivetKit gave up: the next call opens a new one; listeners get one after a backoff (the
        // open may keep failing, e.g. a token the server refuses). RivetKit has rejected the calls
        // on it already, with the reason (e.g. `forbidden`), which must reach the caller as it is.
        this.#drop(link);
        this.#setStatus(this.#everOpen ? "reconnecting" : "connecting");
        if (this.#listening) {
          this.#reopenTimer = setTimeout(() => this.#reopenForListeners(), this.#reopenDelay);
          this.#reopenDelay = Math.min(this.#reopenDelay * 2, MAX_REOPEN_MS);
        }
      } else {
        if (this.#everOpen) this.#setStatus("reconnecting");
        this.#watch(link);
      }
    });
    for (const entry of this.#attached) entry.undo = entry.attach(conn);
    if (old) this.#drop(old, new WardenError("unavailable", "the connection was replaced"));
    this.#watch(link);
    return link;
  }

  /** Replaces the connection if it does not open within the stall bound while something waits. */
  #watch(link: Link<C>) {
    if (this.#stallTimer || link.status === "connected" || !this.#demand) return;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#link !== link || this.#disposed || link.status === "connected") return;
      if (!this.#demand) return;
      const stalledMs = this.#stalledMs;
      this.#stalledMs = Math.min(stalledMs * 2, MAX_STALLED_MS);
      this.#abandon(link, new WardenError("unavailable", `no connection within ${stalledMs} ms`));
    }, this.#stalledMs);
  }

  /** Drops a connection found dead; calls retry on a new one by themselves, listeners get one now. */
  #abandon(link: Link<C>, error: WardenError) {
    this.#drop(link, error);
    if (this.#listening) this.#reopenForListeners();
  }

  /** Opens a new connection for listeners when no call does, through the wake bound as calls do. */
  #reopenForListeners() {
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    if (this.#link || this.#disposed) return;
    // A failure here (the key's lookup, a disposal) leaves listeners to the next call, as before.
    void this.#current().catch(() => undefined);
  }

  /** Forgets a connection: its pending calls fail with `error` if given; its socket is closed in the background. */
  #drop(link: Link<C>, error?: WardenError) {
    if (this.#link === link) {
      this.#link = undefined;
      clearTimeout(this.#stallTimer);
      this.#stallTimer = undefined;
    }
    if (error) link.drop(error);
    link.close();
    void link.conn.dispose().catch(() => undefined);
  }

  /** Closes the connection for good; settles within DISPOSE_MS even if the socket never closes. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#reopenTimer);
    clearTimeout(this.#stallTimer);
    clearTimeout(this.#idleTimer);
    const link = this.#link;
    this.#link = undefined;
    for (const entry of this.#attached) for (const undo of entry.undo) undo();
    this.#attached.clear();
    this.#setStatus("closed");
    if (!link) return;
    link.drop(disposedError());
    link.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      link.conn.dispose().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DISPOSE_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}

function disposedError(): WardenError {
  return new WardenError("aborted", "the client was disposed");
}
