export { ACCESS, type CallerRole } from "./access.ts";
export { ACTOR_NAMES, type Admission, isActorName } from "./admission.ts";
export { type Principal, type PrincipalInput, PrincipalSchema } from "./auth.ts";
export type { WardenErrorCode } from "./errors.ts";
export type { PermissionHook, PermissionHookContext, ReplyOptions } from "./hook.ts";
export type { ServerPolicy } from "./policy.ts";
export type { InboxChange, InboxRequest } from "./project.ts";
export type {
  ProjectHistoryEntry,
  ProjectHistoryPage,
  ProjectHistoryQuery,
} from "./project-history.ts";
export { MAX_MESSAGE_BYTES } from "./protocol.ts";
export { createWarden, type WardenOptions, type WardenRegistry } from "./registry.ts";
export type {
  HistoryQuery,
  LocalDecisionInput,
  RequestPermissionInput,
  RespondOptions,
  RuleInput,
} from "./schema.ts";
export type { SessionCreateInput } from "./session.ts";
export { closedStorageCode, onStorageFault, type StorageFault } from "./storage-fault.ts";
export type {
  AgentDecision,
  Decider,
  HistoryAppendedEvent,
  LocalOrigin,
  PermissionReply,
  PermissionRequest,
  PermissionRequestEvent,
  PermissionResolvedEvent,
  RequestOutcome,
  Resolution,
  ResolutionReason,
  Role,
  RuleScope,
  RulesChangedEvent,
  SessionRule,
  StoredRequest,
} from "./types.ts";
