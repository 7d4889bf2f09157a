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
 *   such a connection is dropped and a fresh one opened; its failed calls are retried by the caller.
 * Listeners are attached again to every new connection.
 */
export class LiveConnection<C extends RivetConn> {
  #conn: C | undefined;
  #actorId: Promise<string> | undefined;
  #disposed = false;
  #everOpen = false;
  #status: ConnectionStatus = "connecting";
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
    const old = this.#conn;
    const conn = this.open(actorId);
    this.#conn = conn;
    this.#setStatus(this.#everOpen ? "reconnecting" : "connecting");
    conn.onStatusChange((status) => {
      if (this.#conn !== conn || this.#disposed) return;
      if (status === "connected") {
        this.#everOpen = true;
        this.#setStatus("open");
      } else if (status === "idle") {
        this.#replace(actorId);
      } else if (this.#everOpen) {
        this.#setStatus("reconnecting");
      }
    });
    for (const entry of this.#attached) entry.undo = entry.attach(conn);
    if (old) void old.dispose().catch(() => undefined);
    return conn;
  }

  /** Closes the connection for good. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    for (const entry of this.#attached) for (const undo of entry.undo) undo();
    this.#attached.clear();
    this.#setStatus("closed");
    await conn?.dispose();
  }
}
