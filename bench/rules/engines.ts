import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { Behavior, Decision, ToolCall } from "../../packages/rules/src/index.ts";
import type { NaiveRule } from "./policy-forms.ts";

/** What decided a call, comparable across engines: a rule's behavior, or the default. */
export type Outcome = Behavior | "default";

/** Warden's decision as an outcome. */
export function wardenOutcome(decision: Decision): Outcome {
  return decision.reason === "rule" ? decision.decision : "default";
}

/** The naive engine: one pass in rule order; a deny returns at once, then allow beats ask. */
export function evaluateNaive(rules: readonly NaiveRule[], call: ToolCall): Outcome {
  let allow = false;
  let ask = false;
  for (const rule of rules) {
    if (!rule.tool(call.toolName)) continue;
    if (rule.arg) {
      const value = call.input[rule.field!];
      if (typeof value !== "string" || !rule.arg(value)) continue;
    }
    if (rule.behavior === "deny") return "deny";
    if (rule.behavior === "allow") allow = true;
    else ask = true;
  }
  return allow ? "allow" : ask ? "ask" : "default";
}

/** A Cedar answer with the ids of the determining policies. */
export interface CedarResult {
  readonly outcome: Outcome;
  readonly reasons: readonly string[];
  readonly errors: number;
}

/** A policy set parsed once into cedar-wasm's cache, evaluated with `statefulIsAuthorized`. */
export interface CedarEngine {
  evaluate(call: ToolCall): CedarResult;
}

const PRINCIPAL = { type: "Agent", id: "agent" };
const ACTION = { type: "Action", id: "call" };

/**
 * Parses the policies once (`preparsePolicySet`); each call then sends only the request, with
 * the tool name and the call's string fields as its context and no entities.
 */
export function prepareCedar(id: string, policies: Record<string, string>): CedarEngine {
  const parsed = cedar.preparsePolicySet(id, { staticPolicies: policies });
  if (parsed.type !== "success") {
    throw new Error(
      `Cedar rejected the policies: ${parsed.errors.map((e) => e.message).join("; ")}`,
    );
  }
  return {
    evaluate(call) {
      const context: Record<string, string> = { tool: call.toolName };
      for (const [key, value] of Object.entries(call.input)) {
        if (typeof value === "string") context[key] = value;
      }
      const answer = cedar.statefulIsAuthorized({
        principal: PRINCIPAL,
        action: ACTION,
        resource: { type: "Tool", id: call.toolName },
        context,
        preparsedPolicySetId: id,
        entities: [],
      });
      if (answer.type !== "success") {
        throw new Error(`Cedar failed: ${answer.errors.map((e) => e.message).join("; ")}`);
      }
      const { decision, diagnostics } = answer.response;
      const reasons = diagnostics.reason;
      const outcome: Outcome =
        decision === "deny"
          ? reasons.length > 0
            ? "deny"
            : "default"
          : reasons.some((reason) => reason.endsWith("_allow"))
            ? "allow"
            : "ask";
      return { outcome, reasons, errors: diagnostics.errors.length };
    },
  };
}
