import {
  type CompiledPolicy,
  compilePolicy,
  type EvaluationContext,
  evaluate,
  parsePattern,
  policySource,
} from "@warden/rules";

/**
 * What the policy says about a tool whatever its arguments: `allow`, `ask` or `deny` when that
 * holds for every call of it, `depends` when the arguments (or anything else) may change it.
 */
export type ToolVerdict = "allow" | "ask" | "deny" | "depends";

function parsed(pattern: string) {
  try {
    return parsePattern(pattern);
  } catch {
    return undefined;
  }
}

/** Whether a rule's tool part names the tool, decided by the engine itself (a one-rule policy). */
function mayName(pattern: string, toolName: string): boolean {
  const tool = parsed(pattern)?.tool;
  if (tool === undefined) return true;
  if (tool.kind === "exact") return tool.name === toolName;
  const selector = tool.kind === "glob" ? tool.glob : `/${tool.source}/`;
  try {
    const probe = compilePolicy({
      project: policySource({
        default_behavior: "allow",
        rules: [{ tool: selector, behavior: "deny" }],
      }),
    });
    return evaluate(probe, { toolName, input: {} }).decision === "deny";
  } catch {
    return true;
  }
}

/**
 * The verdict for one tool. The call with no arguments is evaluated; a deny by a rule without
 * conditions (or by the mode) holds for every call, since deny always wins. An allow or ask holds
 * for every call only when it came from a rule without conditions and no rule with conditions
 * may name the tool. Anything else is `depends`: the gateway still asks Warden on every call.
 */
export function toolVerdict(
  policy: CompiledPolicy,
  toolName: string,
  context: EvaluationContext = {},
): ToolVerdict {
  const decision = evaluate(policy, { toolName, input: {} }, context);
  if (decision.reason === "mode") return decision.decision === "deny" ? "deny" : "depends";
  if (decision.reason !== "rule" || !decision.rule) return "depends";
  if (parsed(decision.rule.pattern)?.args.kind !== "any") return "depends";
  if (decision.decision === "deny") return "deny";
  const conditional = policy.rules.some(
    (rule) => parsed(rule.pattern)?.args.kind !== "any" && mayName(rule.pattern, toolName),
  );
  return conditional ? "depends" : decision.decision;
}
