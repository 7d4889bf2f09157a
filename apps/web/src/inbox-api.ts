// The inbox API the page is built on, in the shape `@warden/client` provides (`warden.inbox()`).
// Until the client's inbox lands this module implements it over `rivetkit/client` directly.
import type {
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RespondOptions,
  RuleScope,
  StoredRequest,
  WardenRegistry,
} from "@warden/server";
import { createClient } from "rivetkit/client";

export type {
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RespondOptions,
  RuleScope,
};

/** How a request ended: outcome, reason, decider, rules added. */
export type Resolution = PermissionResolvedEvent["resolution"];

/** The state of the inbox's live connection. */
export type InboxStatus = "connecting" | "open" | "reconnecting" | "closed";

/** Handlers of an inbox subscription. */
export interface InboxHandlers {
  /** Every pending request exactly once: those already pending first, then new ones. */
  readonly onRequest: (request: PermissionRequest) => void;
  /** Every resolution exactly once, including those made elsewhere. */
  readonly onResolved: (event: PermissionResolvedEvent) => void;
  readonly onStatus?: (status: InboxStatus) => void;
}

/** A resolved request in the audit log. */
export type HistoryEntry = StoredRequest & { readonly seq?: number };

export interface HistoryQuery {
  readonly sessionId?: string;
  readonly before?: number;
  readonly limit?: number;
}

export interface HistoryPage {
  readonly entries: readonly HistoryEntry[];
  readonly nextBefore: number | null;
}

/** A successful reply: how the request ended. */
export interface RespondResult {
  readonly permissionId: string;
  readonly resolution: Resolution;
}

/** What the page needs from Warden. */
export interface InboxApi {
  subscribe(handlers: InboxHandlers): Promise<() => void>;
  respond(
    sessionId: string,
    permissionId: string,
    reply: PermissionReply,
    options?: RespondOptions,
  ): Promise<RespondResult>;
  history(query?: HistoryQuery): Promise<HistoryPage>;
  dispose(): Promise<void>;
}

export interface InboxConfig {
  readonly endpoint: string;
  readonly token: string;
  readonly project: string;
}

/** A failure as the page shows it; `code` is Warden's error code or `unavailable`. */
export interface InboxFailure {
  readonly code: string;
  readonly message: string;
  /** For `already_resolved`: how the request ended. */
  readonly resolution?: Resolution;
}

/** Reads the code, message and resolution out of whatever a call threw. */
export function describeFailure(error: unknown): InboxFailure {
  const e = error as
    | { code?: unknown; group?: unknown; message?: unknown; metadata?: unknown }
    | undefined;
  const code = typeof e?.code === "string" && e.group !== "rivetkit" ? e.code : "unavailable";
  const message = typeof e?.message === "string" ? e.message : String(error);
  const metadata = e?.metadata as { resolution?: Resolution | null } | undefined;
  return {
    code,
    message,
    ...(metadata?.resolution ? { resolution: metadata.resolution } : {}),
  };
}

type RivetClient = ReturnType<typeof createClient<WardenRegistry>>;
type SessionConn = ReturnType<
  ReturnType<RivetClient["permissionSession"]["getOrCreate"]>["connect"]
>;
type ProjectConn = ReturnType<ReturnType<RivetClient["wardenProject"]["getOrCreate"]>["connect"]>;

/** How long a call may wait for its connection before it counts as failed (ms). */
const CALL_TIMEOUT_MS = 20_000;
/** How long a dropped connection may stay down before it is replaced by a new one (ms). */
const REPLACE_AFTER_MS = [2_000, 4_000, 8_000, 15_000] as const;

class Unavailable extends Error {
  readonly code = "unavailable";
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Unavailable(`${what}: no answer from the server`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Creates the inbox of one project. */
export function createInboxApi(config: InboxConfig): InboxApi {
  // No devtools: the approval page must not load scripts from elsewhere.
  const client = createClient<WardenRegistry>({ endpoint: config.endpoint, devtools: false });
  const params = { token: config.token };
  // Session calls go over a connection: rivetkit's stateless HTTP actions send a streamed body,
  // which Chromium uploads only over HTTP/2 (over plain HTTP it fails: ERR_ALPN_NEGOTIATION_FAILED).
  const sessions = new Map<string, SessionConn>();
  const known = new Set<string>();
  const sessionConn = (sessionId: string): SessionConn => {
    known.add(sessionId);
    let conn = sessions.get(sessionId);
    if (!conn) {
      conn = client.permissionSession
        .getOrCreate([config.project, sessionId], { params })
        .connect();
      sessions.set(sessionId, conn);
    }
    return conn;
  };
  const dropSession = (sessionId: string) => {
    void sessions.get(sessionId)?.dispose();
    sessions.delete(sessionId);
  };
  const dropSessions = () => {
    for (const id of [...sessions.keys()]) dropSession(id);
  };
  /**
   * Calls a session over its connection. A transport failure (or no answer in time) replaces the
   * connection and tries once more: rivetkit 2.3.19 stops reconnecting a connection for good after
   * one refused attempt. A retried reply that had already landed comes back `already_resolved`.
   */
  async function callSession<T>(sessionId: string, call: (conn: SessionConn) => Promise<T>) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await withTimeout(call(sessionConn(sessionId)), CALL_TIMEOUT_MS, sessionId);
      } catch (error) {
        if (describeFailure(error).code !== "unavailable" || attempt > 0) throw error;
        dropSession(sessionId);
      }
    }
  }

  return {
    async subscribe(handlers) {
      const pending = new Map<string, PermissionRequest>();
      const resolved = new Set<string>();
      let conn: ProjectConn;
      let offs: (() => void)[] = [];
      let opened = false;
      let closed = false;
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      let replacements = 0;

      const deliverRequest = (request: PermissionRequest) => {
        if (closed || pending.has(request.permissionId) || resolved.has(request.permissionId))
          return;
        known.add(request.sessionId);
        pending.set(request.permissionId, request);
        handlers.onRequest(request);
      };
      const resolve = async (sessionId: string, permissionId: string) => {
        if (resolved.has(permissionId)) return;
        const record = await callSession(sessionId, (c) => c.getRequest(permissionId));
        if (closed || !record.resolution || resolved.has(permissionId)) return;
        resolved.add(permissionId);
        pending.delete(permissionId);
        handlers.onResolved({
          sessionId,
          permissionId,
          requestId: record.requestId,
          resolution: record.resolution,
        });
      };
      const catchUp = async () => {
        const current = await withTimeout(conn.listInbox(), CALL_TIMEOUT_MS, "inbox");
        const ids = new Set(current.map((r) => r.permissionId));
        for (const request of current) deliverRequest(request);
        for (const [permissionId, request] of pending) {
          if (!ids.has(permissionId))
            await resolve(request.sessionId, permissionId).catch(() => undefined);
        }
      };

      // Replaces a connection that stays down: rivetkit gives up on it after a refused attempt.
      const arm = () => {
        clearTimeout(watchdog);
        const delay = REPLACE_AFTER_MS[Math.min(replacements, REPLACE_AFTER_MS.length - 1)]!;
        watchdog = setTimeout(() => {
          if (closed || conn.connStatus === "connected") return;
          replacements += 1;
          for (const off of offs) off();
          void conn.dispose();
          dropSessions();
          open();
        }, delay);
      };
      const open = () => {
        conn = client.wardenProject.getOrCreate([config.project], { params }).connect();
        offs = [
          conn.on("inboxChanged", (change) => {
            if (change.kind === "pending" && change.request) deliverRequest(change.request);
            else if (change.kind === "resolved")
              void resolve(change.sessionId, change.permissionId).catch(() => undefined);
          }),
          conn.onStatusChange((status) => {
            if (closed) return;
            if (status === "connected") {
              clearTimeout(watchdog);
              replacements = 0;
              opened = true;
              handlers.onStatus?.("open");
              void catchUp().catch(() => undefined);
            } else {
              handlers.onStatus?.(opened ? "reconnecting" : "connecting");
              arm();
            }
          }),
        ];
        arm();
      };
      const close = () => {
        closed = true;
        clearTimeout(watchdog);
        for (const off of offs) off();
        void conn.dispose();
      };

      handlers.onStatus?.("connecting");
      open();
      try {
        await catchUp();
      } catch (error) {
        close();
        throw error;
      }
      return () => {
        close();
        handlers.onStatus?.("closed");
      };
    },

    respond(sessionId, permissionId, reply, options) {
      return callSession(sessionId, (c) =>
        c.respondPermission(sessionId, permissionId, reply, options),
      );
    },

    async history(query = {}) {
      const ids = query.sessionId ? [query.sessionId] : [...known];
      const limit = query.limit ?? 50;
      const pages = await Promise.all(
        ids.map((id) =>
          callSession(id, (c) =>
            c.getHistory({
              limit,
              ...(query.before !== undefined ? { before: query.before } : {}),
            }),
          ),
        ),
      );
      const entries = pages
        .flatMap((page) => page.entries as HistoryEntry[])
        .sort((a, b) => (b.resolution?.resolvedAt ?? 0) - (a.resolution?.resolvedAt ?? 0))
        .slice(0, limit);
      return { entries, nextBefore: null };
    },

    async dispose() {
      await Promise.all([...sessions.values()].map((conn) => conn.dispose()));
      sessions.clear();
      await client.dispose();
    },
  };
}
