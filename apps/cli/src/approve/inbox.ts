import type {
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RespondOptions,
} from "@warden/client";
import type { ConnectionStatus } from "./inbox-state.ts";

/** How a request ended, with who decided. */
export type Resolution = PermissionResolvedEvent["resolution"];

/** Where an "always" rule is kept. */
export type RuleScope = NonNullable<NonNullable<RespondOptions>["scope"]>;

/** Handlers of an inbox subscription. */
export interface InboxHandlers {
  /** Every pending request of the project once: those already pending first, then new ones. */
  readonly onRequest: (request: PermissionRequest) => void;
  /** Every resolution once, including those made elsewhere, with who decided. */
  readonly onResolved: (event: PermissionResolvedEvent) => void;
  readonly onStatus?: (status: ConnectionStatus) => void;
}

/** What the approver needs of `warden.inbox(projectId)` in `@warden/client`. */
export interface ApproverInbox {
  subscribe(handlers: InboxHandlers): Promise<() => void>;
  respond(
    sessionId: string,
    permissionId: string,
    reply: PermissionReply,
    options?: RespondOptions,
  ): Promise<unknown>;
}
