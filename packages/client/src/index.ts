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
export type { ConnectionDiagnostics, ConnectionStatus } from "./connection.ts";
export { CREATION_GATE, type CreationGateOptions } from "./creation-gate.ts";
export type { AgentDecision, AllowReason, DenyReason } from "./decision.ts";
export {
  type ActionLines,
  alwaysWithoutEffect,
  codePointMarker,
  type DeciderOptions,
  describeActionLines,
  describeCall,
  describeDecider,
  describeOutcome,
  describeResolution,
  describeRule,
  describeRulesAdded,
  escapedJson,
  formatRemaining,
  hasHiddenText,
  type RevealOptions,
  revealJson,
  revealName,
  revealText,
  unrevealText,
} from "./describe.ts";
export { type WardenClientErrorCode, WardenError } from "./errors.ts";
export type { FastPathMode } from "./fast-path.ts";
export {
  type HistoryEntry,
  type HistoryPage,
  type HistoryQuery,
  type InboxHandlers,
  type InboxRequest,
  type InboxResolved,
  WardenInbox,
} from "./inbox.ts";
export { inputRefusal } from "./input-limits.ts";
export type { ReportQueueOptions } from "./report-queue.ts";
export type { RetryPolicy } from "./retry.ts";
export {
  type FastPathMismatch,
  type PermissionAsk,
  type SessionDiagnostics,
  type SubscribeHandlers,
  WardenSession,
} from "./session.ts";
