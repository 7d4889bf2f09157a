import type { Behavior, Mode, RuleSuggestion, Tier } from "@warden/rules";
import type { AgentDecision } from "./protocol.ts";

/** agentOS's reply names: allow this call, allow it and its kind from now on, or refuse it. */
export type PermissionReply = "once" | "always" | "reject";

/** What a token lets its holder do. */
export type Role = "agent" | "approver" | "admin";

/** Who or what settled a request. */
export interface Decider {
  readonly kind: "policy" | "hook" | "approver" | "timeout" | "agent";
  /** The approver's or agent's principal id; the hook's name. */
  readonly id?: string;
  /** The deciding rule, when the policy decided. */
  readonly rule?: { readonly pattern: string; readonly tier: Tier; readonly id: string } | null;
}

/** Why a request ended as it did. */
export type ResolutionReason =
  | "rule"
  | "default"
  | "mode"
  | "hook"
  | "approved"
  | "rejected"
  | "timed_out"
  | "budget_exceeded"
  | "cancelled"
  /** The agent's SDK decided the call locally, and the server's rules do not make that decision. */
  | "local_mismatch";

/** A call the agent's SDK decided on its own, as it reported it (see `recordLocalDecisions`). */
export interface LocalOrigin {
  /** What the SDK decided, and so what the agent did. */
  readonly behavior: "allow" | "deny";
  readonly policyVersion: string;
  /** When the SDK decided, by the agent's clock. */
  readonly decidedAt: number;
  /** What the server's rules decide for the call when the report arrives. */
  readonly server: Behavior;
}

/** How a request ended. */
export interface Resolution {
  readonly outcome: "allow" | "deny";
  readonly reason: ResolutionReason;
  readonly message: string;
  /** The input to run: the original, or the approver's or hook's edited one. */
  readonly input: Record<string, unknown>;
  readonly reply?: PermissionReply;
  /** The client-made id of the reply that decided, so that its resend gets the same answer. */
  readonly replyId?: string;
  readonly decidedBy: Decider;
  readonly rulesAdded?: { readonly patterns: readonly string[]; readonly scope: RuleScope };
  readonly resolvedAt: number;
  /** Set when the agent's SDK decided the call locally and reported it afterwards. */
  readonly local?: LocalOrigin;
}

/** Where an "always" rule is kept: this session, or every future session of the project. */
export type RuleScope = "session" | "project";

/** A permission request as approvers and the hook see it (agentOS's fields included). */
export interface PermissionRequest {
  readonly permissionId: string;
  readonly requestId: string;
  readonly projectId: string;
  readonly sessionId: string;
  readonly toolName: string;
  readonly input: Record<string, unknown>;
  /** The human-readable line: "Run command: git status". */
  readonly action: string;
  readonly details?: string;
  readonly cost?: number;
  /** agentOS compatibility: the action line. */
  readonly description: string;
  /** agentOS compatibility: the tool input. */
  readonly params: Record<string, unknown>;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly requestedBy: string;
  /** Narrowed "always" rules to offer, narrowest first, with breadth warnings. */
  readonly suggestions: readonly RuleSuggestion[];
  /** What the policy said before the request was left open. */
  readonly evaluation: {
    readonly decision: Behavior;
    readonly reason: string;
    readonly message: string;
    readonly rule: string | null;
    readonly tier: Tier | null;
  };
}

/** A stored request: its data and, once settled, its resolution. */
export interface StoredRequest extends PermissionRequest {
  readonly status: "pending" | "resolved";
  readonly resolution?: Resolution;
}

/** What the agent receives: the decision, or that humans are deciding. */
export type RequestOutcome =
  | {
      readonly status: "decided";
      readonly permissionId: string;
      readonly requestId: string;
      readonly decision: AgentDecision;
    }
  | {
      readonly status: "pending";
      readonly permissionId: string;
      readonly requestId: string;
      readonly expiresAt: number;
    };

export type { AgentDecision } from "./protocol.ts";

/** A session-tier rule with its provenance. */
export interface SessionRule {
  readonly id: string;
  readonly tool: string;
  readonly behavior: Behavior;
  readonly message?: string;
  readonly addedBy: string;
  readonly addedAt: number;
  /** Where it came from: an "always" reply, an admin, or the project's learned rules. */
  readonly source: "always" | "admin" | "project";
}

/** Events, as subscribers receive them. */
export interface PermissionRequestEvent {
  readonly sessionId: string;
  readonly request: PermissionRequest;
}

export interface PermissionResolvedEvent {
  readonly sessionId: string;
  readonly permissionId: string;
  readonly requestId: string;
  /** The agent that asked: only that agent's connections receive the event (access.ts). */
  readonly requestedBy?: string;
  readonly resolution: Resolution;
}

export interface RulesChangedEvent {
  readonly sessionId: string;
  readonly rules: readonly SessionRule[];
  readonly mode: Mode | null;
  readonly version: string;
}

/** The project's history gained entries of a session (readers may read it again). */
export interface HistoryAppendedEvent {
  readonly sessionId: string;
  /** Entries in the report (a resent report counts again). */
  readonly count: number;
}
