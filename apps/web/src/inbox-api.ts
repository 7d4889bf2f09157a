// What the page needs from Warden, served by `@warden/client`'s inbox (`warden.inbox()`). The
// components depend on this small interface only.
import {
  type ConnectionStatus,
  createWardenClient,
  type HistoryPage,
  type HistoryQuery,
  type InboxHandlers,
  type PermissionReply,
  type PermissionResolvedEvent,
  type RespondOptions,
} from "@warden/client";
import type { RuleScope } from "@warden/server";

export type {
  HistoryEntry,
  HistoryPage,
  HistoryQuery,
  InboxHandlers,
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RespondOptions,
} from "@warden/client";
export type { RuleScope };

/** How a request ended: outcome, reason, decider, rules added. */
export type Resolution = PermissionResolvedEvent["resolution"];

/** The state of the inbox's live connection. */
export type InboxStatus = ConnectionStatus;

/** A successful reply: how the request ended. */
export interface RespondResult {
  readonly permissionId: string;
  readonly resolution: Resolution;
}

/** The inbox of one project. */
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

/** A failure as the page shows it; `code` is Warden's error code (`unavailable` for transport). */
export interface InboxFailure {
  readonly code: string;
  readonly message: string;
  /** For `already_resolved`: how the request ended. */
  readonly resolution?: Resolution;
}

/** Reads the code, message and resolution out of what a call threw (a `WardenError`). */
export function describeFailure(error: unknown): InboxFailure {
  const e = error as { code?: unknown; message?: unknown; metadata?: unknown } | undefined;
  const code = typeof e?.code === "string" ? e.code : "unavailable";
  const message = typeof e?.message === "string" ? e.message : String(error);
  const metadata = e?.metadata as { resolution?: Resolution | null } | undefined;
  return {
    code,
    message,
    ...(metadata?.resolution ? { resolution: metadata.resolution } : {}),
  };
}

/** Connects to a project's inbox. */
export function createInboxApi(config: InboxConfig): InboxApi {
  const warden = createWardenClient(config);
  const inbox = warden.inbox(config.project);
  return {
    subscribe: (handlers) => inbox.subscribe(handlers),
    respond: (sessionId, permissionId, reply, options) =>
      inbox.respond(sessionId, permissionId, reply, options),
    history: (query) => inbox.history(query),
    dispose: () => warden.dispose(),
  };
}
