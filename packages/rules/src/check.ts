import type { CompiledPolicy } from "./compile.ts";
import { applyDontAsk, type Decision, evaluate, evaluateBeforeDontAsk } from "./evaluate.ts";
import type { EvaluationContext, ToolCall } from "./schema.ts";

/** What a `canUseTool` callback may answer; `undefined` or `ask` leaves the call to humans. */
export type CallbackResult =
  | { readonly behavior: "allow"; readonly updatedInput?: Record<string, unknown> }
  | { readonly behavior: "deny"; readonly message: string }
  | { readonly behavior: "ask" }
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback may simply return nothing
  | void;

/** A custom permission callback in code, run after the rules for what they leave open. */
export type CanUseTool = (
  toolName: string,
  input: Record<string, unknown>,
  context: { readonly decision: Decision; readonly evaluation: EvaluationContext },
) => CallbackResult | Promise<CallbackResult>;

/** A decision together with the input to run (edited by the callback or not). */
export type CheckResult = Decision & { readonly input: Record<string, unknown> };

/** A policy bound to an optional callback: the R SDK's `Permissions` object. */
export interface Permissions {
  readonly policy: CompiledPolicy;
  /** Decides a call: rules first, then the callback for what they leave open. */
  check(
    toolName: string,
    input: Record<string, unknown>,
    context?: EvaluationContext,
  ): Promise<CheckResult>;
}

/**
 * Binds a compiled policy and an optional `canUseTool` callback. The callback only sees calls
 * the rules leave open (ask); an edited input is evaluated again and a deny still wins; a
 * callback that throws leaves the call at ask.
 * @example const permissions = createPermissions({ policy, canUseTool: (tool) => tool === "Read" ? { behavior: "allow" } : undefined })
 */
export function createPermissions(options: {
  readonly policy: CompiledPolicy;
  readonly canUseTool?: CanUseTool;
}): Permissions {
  const { policy, canUseTool } = options;
  return Object.freeze({
    policy,
    async check(toolName: string, input: Record<string, unknown>, context: EvaluationContext = {}) {
      const call: ToolCall = { toolName, input };
      const decision = evaluateBeforeDontAsk(policy, call, context);
      if (decision.decision !== "ask" || !canUseTool) {
        return { ...applyDontAsk(policy, decision), input };
      }
      let answer: CallbackResult;
      try {
        answer = await canUseTool(toolName, structuredClone(input), {
          decision,
          evaluation: context,
        });
      } catch {
        answer = undefined;
      }
      if (!answer || answer.behavior === "ask") return { ...applyDontAsk(policy, decision), input };
      if (answer.behavior === "deny") {
        return {
          ...callbackDecision("deny", answer.message || "Denied by the permission callback."),
          input,
        };
      }
      if (!answer.updatedInput) {
        return { ...callbackDecision("allow", "Allowed by the permission callback."), input };
      }
      const edited = evaluate(policy, { toolName, input: answer.updatedInput }, context);
      if (edited.decision === "deny") return { ...edited, input: answer.updatedInput };
      return {
        ...callbackDecision("allow", "Allowed by the permission callback with an edited input."),
        input: answer.updatedInput,
      };
    },
  });
}

function callbackDecision(decision: "allow" | "deny", message: string): Decision {
  return { decision, rule: null, tier: null, reason: "callback", message };
}
