export type {
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RespondOptions,
  RulesChangedEvent,
} from "@warden/server";
export {
  createWardenClient,
  type SessionOptions,
  type WardenClient,
  type WardenClientOptions,
} from "./client.ts";
export type { ConnectionStatus } from "./connection.ts";
export type { AgentDecision, AllowReason, DenyReason } from "./decision.ts";
export { type WardenClientErrorCode, WardenError } from "./errors.ts";
export type { RetryPolicy } from "./retry.ts";
export { type PermissionAsk, type SubscribeHandlers, WardenSession } from "./session.ts";
