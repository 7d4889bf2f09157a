// Turns a validated reply (an approver's or the hook's) into a resolution. Pure: throws a typed
// error and changes nothing when the reply cannot apply.

import { type CompiledPolicy, type EvaluationContext, evaluate, type Mode } from "@warden/rules";
import { fail } from "./errors.ts";
import { compileOrFail, type ServerPolicy } from "./policy.ts";
import { requireCoverage } from "./project-rules.ts";
import type { RequestRecord } from "./request-record.ts";
import type { Decider, PermissionReply, Resolution, RuleScope, SessionRule } from "./types.ts";

/** A reply's options, validated (`RespondOptionsSchema`). */
export interface ReplyOptions {
  readonly updatedInput?: Record<string, unknown> | undefined;
  readonly message?: string | undefined;
  readonly rule?: string | readonly string[] | undefined;
  readonly scope?: RuleScope | undefined;
  readonly replyId?: string | undefined;
}

/** A reply as the lifecycle receives it. */
export interface Reply {
  readonly reply: PermissionReply;
  readonly options: ReplyOptions;
  readonly decider: Decider;
}

/** What a reply needs to know of the session's policy. */
export interface PolicyEnv {
  readonly server: ServerPolicy;
  readonly compiled: CompiledPolicy;
  readonly context: EvaluationContext;
}

/** The session's tiers, to compile a policy with new rules. */
export interface Tiers {
  readonly projectId: string;
  readonly projectRules: readonly SessionRule[];
  readonly rules: readonly SessionRule[];
  readonly mode: Mode | null;
}

/**
 * The resolution of a reply and the "always" rules it adds. The rules are compiled before they
 * are accepted, and an edited input is evaluated again: a deny still wins.
 */
export function resolveReply(
  tiers: Tiers,
  env: PolicyEnv,
  record: RequestRecord,
  { reply, options, decider }: Reply,
  newRuleId: () => string,
  now: number,
): { resolution: Resolution; rules: SessionRule[] } {
  const scope: RuleScope = options.scope ?? "session";
  const by = decider.id ?? decider.kind;
  const replyId = options.replyId !== undefined ? { replyId: options.replyId } : {};
  if (reply === "reject") {
    return {
      resolution: {
        outcome: "deny",
        reason: decider.kind === "hook" ? "hook" : "rejected",
        message: options.message ?? `Rejected by ${by}.`,
        input: record.input,
        reply,
        ...replyId,
        decidedBy: decider,
        resolvedAt: now,
      },
      rules: [],
    };
  }

  const input = options.updatedInput ?? record.input;
  let rules: SessionRule[] = [];
  if (reply === "always") {
    const patterns = options.rule
      ? typeof options.rule === "string"
        ? [options.rule]
        : [...options.rule]
      : [...(record.suggestions[0]?.patterns ?? [])];
    if (patterns.length === 0) {
      fail("invalid_rule", "no rule to add: this request has no suggestion, so give options.rule");
    }
    rules = patterns.map((tool) => ({
      id: newRuleId(),
      tool,
      behavior: "allow" as const,
      addedBy: by,
      addedAt: now,
      source: "always" as const,
    }));
  }
  const policy =
    rules.length > 0
      ? compileOrFail(env.server, {
          projectId: tiers.projectId,
          projectRules: tiers.projectRules,
          sessionRules: [...tiers.rules, ...rules],
          mode: tiers.mode,
        })
      : env.compiled;
  if (scope === "project")
    requireCoverage(rules, { toolName: record.toolName, input }, env.context);
  if (options.updatedInput) {
    const again = evaluate(policy, { toolName: record.toolName, input }, env.context);
    if (again.decision === "deny") {
      return {
        resolution: {
          outcome: "deny",
          reason: "rule",
          message: `The edited input is denied: ${again.message}`,
          input,
          reply,
          ...replyId,
          decidedBy: {
            kind: "policy",
            rule: again.rule
              ? { pattern: again.rule.pattern, tier: again.rule.tier, id: again.rule.id }
              : null,
          },
          resolvedAt: now,
        },
        rules: [],
      };
    }
  }
  return {
    resolution: {
      outcome: "allow",
      reason: decider.kind === "hook" ? "hook" : "approved",
      message: options.message ?? `Approved by ${by}${reply === "always" ? " (always)" : ""}.`,
      input,
      reply,
      ...replyId,
      decidedBy: decider,
      ...(rules.length > 0 ? { rulesAdded: { patterns: rules.map((r) => r.tool), scope } } : {}),
      resolvedAt: now,
    },
    rules,
  };
}
