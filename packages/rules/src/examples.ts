import type { InternalRule, PolicyInternals, PolicySource } from "./compile.ts";
import { PolicyError } from "./errors.ts";
import { ruleMatches } from "./evaluate.ts";
import type { ExampleCall, RuleEntry, ToolCall } from "./schema.ts";

/** Checks a rule's inline examples; a failing example is a located `example_failed` error. */
export function checkRuleExamples(
  internals: PolicyInternals,
  rule: InternalRule,
  entry: RuleEntry,
  source: PolicySource,
): void {
  const examples = entry.examples;
  if (!examples) return;
  const sets: [ExampleCall[] | undefined, boolean][] = [
    [examples.match, true],
    [examples.not_match, false],
  ];
  for (const [calls, expected] of sets) {
    (calls ?? []).forEach((example, exampleIndex) => {
      const call = toCall(example, rule, internals);
      const cwd = typeof example === "string" ? undefined : example.cwd;
      if (ruleMatches(internals, rule, call, cwd ? { cwd } : {}) === expected) return;
      const list = expected ? "match" : "not_match";
      throw new PolicyError(
        "example_failed",
        `${rule.public.pattern} ${expected ? "does not match" : "matches"} its ${list} example ${JSON.stringify(example)}`,
        {
          tier: rule.public.tier,
          rule: rule.public.index,
          path: `rules.${rule.public.index}.examples.${list}.${exampleIndex}`,
          ...(source.file ? { file: source.file } : {}),
          ...(source.locate?.(rule.public.index) ?? {}),
        },
      );
    });
  }
}

function toCall(example: ExampleCall, rule: InternalRule, internals: PolicyInternals): ToolCall {
  const tool = typeof example === "string" ? undefined : example.tool;
  const toolName = tool ?? rule.exactTool;
  if (toolName === undefined) {
    throw new PolicyError(
      "invalid_document",
      `an example of ${rule.public.pattern} must name its tool, since the pattern matches several`,
      { tier: rule.public.tier, rule: rule.public.index },
    );
  }
  if (typeof example !== "string") return { toolName, input: example.input };
  const primary = internals.spec(toolName).primary ?? "value";
  return { toolName, input: { [primary]: example } };
}
