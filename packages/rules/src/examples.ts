import type { InternalRule, PolicyInternals } from "./compile.ts";
import { PolicyError, type PolicyErrorLocation } from "./errors.ts";
import { ruleMatches } from "./evaluate.ts";
import type { ExampleCall, RuleEntry, ToolCall } from "./schema.ts";
import type { PolicySource } from "./source.ts";

/** Checks a rule's inline examples; a failing example is a located `example_failed` error. */
export function checkRuleExamples(
  internals: PolicyInternals,
  rule: InternalRule,
  entry: RuleEntry,
  source: Pick<PolicySource, "file" | "locate" | "locatePath">,
): void {
  const examples = entry.examples;
  if (!examples) return;
  const sets: [ExampleCall[] | undefined, boolean][] = [
    [examples.match, true],
    [examples.not_match, false],
  ];
  const { tier, index } = rule.public;
  for (const [calls, expected] of sets) {
    const list = expected ? "match" : "not_match";
    (calls ?? []).forEach((example, exampleIndex) => {
      const path = ["rules", index, "examples", list, exampleIndex];
      // The example's own position, else its rule's pattern.
      const location: PolicyErrorLocation = {
        tier,
        rule: index,
        path: path.join("."),
        ...(source.file ? { file: source.file } : {}),
        ...(source.locatePath?.(path) ?? source.locate?.(index)),
      };
      const call = toCall(example, rule, internals, location);
      const cwd = typeof example === "string" ? undefined : example.cwd;
      if (ruleMatches(internals, rule, call, cwd ? { cwd } : {}) === expected) return;
      throw new PolicyError(
        "example_failed",
        `${rule.public.pattern} ${expected ? "does not match" : "matches"} its ${list} example ${JSON.stringify(example)}`,
        location,
      );
    });
  }
}

function toCall(
  example: ExampleCall,
  rule: InternalRule,
  internals: PolicyInternals,
  location: PolicyErrorLocation,
): ToolCall {
  const tool = typeof example === "string" ? undefined : example.tool;
  const toolName = tool ?? rule.exactTool;
  if (toolName === undefined) {
    throw new PolicyError(
      "invalid_document",
      `an example of ${rule.public.pattern} must name its tool, since the pattern matches several`,
      location,
    );
  }
  if (typeof example !== "string") return { toolName, input: example.input };
  const primary = internals.spec(toolName).primary ?? "value";
  return { toolName, input: { [primary]: example } };
}
