export type {
  AgentDecision,
  PermissionReply,
  PermissionRequest,
  PermissionResolvedEvent,
  RespondOptions,
  RulesChangedEvent,
} from "@warden/server";
export { createWardenClient, type SessionOptions, type WardenClient, type WardenClientOptions } from "./client.ts";
export { WardenError, type WardenClientErrorCode } from "./errors.ts";
export type { RetryPolicy } from "./retry.ts";
export { type PermissionAsk, type SubscribeHandlers, WardenSession } from "./session.ts";
