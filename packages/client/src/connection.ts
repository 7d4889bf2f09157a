import { WardenError } from "./errors.ts";

/** The status of a live connection, as approver UIs show it. */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

/** What this module needs of a RivetKit actor connection. */
interface RivetConn {
  onStatusChange(
    callback: (status: "idle" | "connecting" | "connected" | "disconnected") => void,
  ): () => void;
  dispose(): Promise<void>;
}

const MIN_REOPEN_MS = 250;
const MAX_REOPEN_MS = 30_000;
/**
 * How long a connection that was open may stay disconnected before it is replaced. RivetKit's own
 * reconnect did not recover within 90 s after the endpoint refused connections for a while.
 */
const STALLED_MS = 8_000;

/** Wires listeners onto one connection; returns what undoes them. */
export type Attach<C> = (conn: C) => (() => void)[];

/**
 * Keeps one RivetKit connection to an actor alive.
 *
 * Two things in rivetkit 2.3.19 make a plain `handle.connect()` stall, both seen under load:
 * - a connection addressed by key asks the engine's gateway to resolve the key on every (re)open,
 *   and that query sometimes times out after 15 s (`pegboard/route_resolve_query_timeout`). Here
 *   the key is resolved once to the actor's id (a separate API call, retried) and connections
 *   address the actor by id;
 * - a connection whose first open fails with an error RivetKit does not classify as retryable goes
 *   `idle` for good: it never reconnects, and every later action waits in its queue forever. Here
 *   such a connection is dropped: the next call opens a fresh one (the failed calls are retried by
 *   the caller), and listeners get a fresh one after a backoff (250 ms doubling to 30 s).
 * Listeners are attached again to every new connection.
 */
export class LiveConnection<C extends RivetConn> {
  #conn: C | undefined;
  #actorId: Promise<string> | undefined;
  #disposed = false;
  #everOpen = false;
  #status: ConnectionStatus = "connecting";
  #reopenDelay = MIN_REOPEN_MS;
  #reopenTimer: ReturnType<typeof setTimeout> | undefined;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #attached = new Set<{ attach: Attach<C>; undo: (() => void)[] }>();
  readonly #statusListeners = new Set<(status: ConnectionStatus) => void>();

  constructor(
    readonly resolveId: () => Promise<string>,
    readonly open: (actorId: string) => C,
  ) {}

  /** The live connection, opened on first use. */
  async get(): Promise<C> {
    if (this.#disposed) throw new WardenError("aborted", "the client was disposed");
    if (this.#conn) return this.#conn;
    this.#actorId ??= this.resolveId().catch((error) => {
      this.#actorId = undefined;
      throw error;
    });
    const actorId = await this.#actorId;
    if (this.#disposed) throw new WardenError("aborted", "the client was disposed");
    return this.#conn ?? this.#replace(actorId);
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** Attaches listeners to the connection and to every one that replaces it. */
  async attach(attach: Attach<C>): Promise<() => void> {
    const conn = await this.get();
    const entry = { attach, undo: attach(conn) };
    this.#attached.add(entry);
    return () => {
      for (const undo of entry.undo) undo();
      this.#attached.delete(entry);
    };
  }

  /** Calls back on every status change. */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  #setStatus(status: ConnectionStatus) {
    if (this.#status === status) return;
    this.#status = status;
    for (const listener of [...this.#statusListeners]) listener(status);
  }

  #replace(actorId: string): C {
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = undefined;
    const old = this.#conn;
    const conn = this.open(actorId);
    this.#conn = conn;
    this.#setStatus(this.#everOpen ? "reconnecting" : "connecting");
    conn.onStatusChange((status) => {
      if (this.#conn !== conn || this.#disposed) return;
      if (status === "connected") {
        clearTimeout(this.#stallTimer);
        this.#stallTimer = undefined;
        this.#everOpen = true;
        this.#reopenDelay = MIN_REOPEN_MS;
        this.#setStatus("open");
      } else if (status === "idle") {
        // Dropped: the next call opens a new one; listeners get one after a backoff (the open
        // may keep failing, e.g. a token the server refuses).
        this.#conn = undefined;
        void conn.dispose().catch(() => undefined);
        this.#setStatus(this.#everOpen ? "reconnecting" : "connecting");
        if (this.#attached.size > 0) {
          this.#reopenTimer = setTimeout(() => {
            if (!this.#conn && !this.#disposed) this.#replace(actorId);
          }, this.#reopenDelay);
          this.#reopenDelay = Math.min(this.#reopenDelay * 2, MAX_REOPEN_MS);
        }
      } else if (this.#everOpen) {
        this.#setStatus("reconnecting");
        this.#watchStall(conn, actorId);
      }
    });
    for (const entry of this.#attached) entry.undo = entry.attach(conn);
    if (old) void old.dispose().catch(() => undefined);
    return conn;
  }

  /**
   * Replaces a once-open connection that stays disconnected: listeners need a live one, and so do
   * calls (an agent's long-poll, an approver's read), whose retries would otherwise queue on the
   * same dead connection until their deadline (seen after an engine node of a cluster died).
   */
  #watchStall(conn: C, actorId: string) {
    if (this.#stallTimer) return;
    this.#stallTimer = setTimeout(() => {
      this.#stallTimer = undefined;
      if (this.#conn !== conn || this.#disposed || this.#status === "open") return;
      this.#conn = undefined;
      void conn.dispose().catch(() => undefined);
      this.#replace(actorId);
    }, STALLED_MS);
  }

  /** Closes the connection for good. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#reopenTimer);
    clearTimeout(this.#stallTimer);
    const conn = this.#conn;
    this.#conn = undefined;
    for (const entry of this.#attached) for (const undo of entry.undo) undo();
    this.#attached.clear();
    this.#setStatus("closed");
    await conn?.dispose();
  }
}
