import picomatch from "picomatch";
import type { Behavior, PolicyDocument } from "../../packages/rules/src/index.ts";
import type { FieldSpec, RuleSpec, ToolSpec } from "./policy-gen.ts";

/*
 * One neutral rule list, printed three ways: Warden patterns, Cedar policies and a naive
 * picomatch loop. The three agree on every call `generateCalls` makes (policy-gen.test.ts checks
 * it); they differ only where those calls never go:
 * - Cedar has no regex: `=~ "(?i)danger5"` becomes `like "*danger5*"` (case-sensitive; the
 *   generated commands are lower case), and a tool regex `/mcp__(gh|gl)5__.*\/` becomes one
 *   `like` per alternative.
 * - Cedar's `*` crosses `/`, so `pkg9/**` becomes `pkg9/*` and `dir4/**\/*.ts` becomes
 *   `dir4/*.ts`; neither matches the bare directory `pkg9`, which Warden and picomatch do.
 * - Warden normalises paths against the cwd and parses shell commands; the naive loop and Cedar
 *   compare raw strings. Generated paths are already relative and normalised, and generated
 *   shell commands are single simple commands with single spaces.
 * - Cedar evaluates every policy and reports the determining ones; allow beats ask when any
 *   satisfied permit is an allow rule (ids end in `_allow`).
 */

/** One naive rule: picomatch (or RegExp) matchers checked in order. */
export interface NaiveRule {
  readonly tool: (name: string) => boolean;
  readonly field: string | undefined;
  readonly arg: ((value: string) => boolean) | undefined;
  readonly behavior: Behavior;
}

function printTool(tool: ToolSpec): string {
  if (tool.kind === "exact") return tool.name;
  if (tool.kind === "glob") return tool.glob;
  return `/${tool.source}/`;
}

/** A rule as a Warden pattern: `Bash(cmd12 *)`, `Edit(file_path ~ "pkg9/**")`, … */
export function toWardenPattern(rule: RuleSpec): string {
  const tool = printTool(rule.tool);
  const arg = rule.arg;
  if (!arg) return tool;
  if (arg.op === "primary") return `${tool}(${arg.value})`;
  if (arg.op === "path") return `${tool}(${arg.field} ~ "${arg.value}")`;
  if (arg.op === "regex") return `${tool}(${arg.field} =~ "(?i)${arg.value}")`;
  return `${tool}(${arg.field} = "${arg.value}")`;
}

/** The rules as a Warden policy document (default: ask). */
export function toWardenDocument(rules: readonly RuleSpec[]): PolicyDocument {
  return {
    default_behavior: "ask",
    rules: rules.map((rule) => ({ tool: toWardenPattern(rule), behavior: rule.behavior })),
  };
}

const cedarString = (text: string): string => {
  if (/["\\]/.test(text)) throw new Error(`cannot quote ${text} for Cedar`);
  return `"${text}"`;
};

/** A path glob as a Cedar `like` pattern, whose `*` crosses `/`. */
const pathLike = (value: string): string => value.replaceAll("**/", "*").replace(/\*+/g, "*");

function cedarCondition(rule: RuleSpec): string {
  const { tool, arg } = rule;
  const conditions =
    tool.kind === "exact"
      ? [`context.tool == ${cedarString(tool.name)}`]
      : tool.kind === "glob"
        ? [`context.tool like ${cedarString(tool.glob)}`]
        : [
            `(${tool.alternatives.map((like) => `context.tool like ${cedarString(like)}`).join(" || ")})`,
          ];
  if (arg) {
    const value = `context.${arg.field}`;
    conditions.push(`context has ${arg.field}`);
    if (arg.op === "primary") conditions.push(`${value} like ${cedarString(arg.value)}`);
    else if (arg.op === "path")
      conditions.push(`${value} like ${cedarString(pathLike(arg.value))}`);
    else if (arg.op === "regex") conditions.push(`${value} like ${cedarString(`*${arg.value}*`)}`);
    else conditions.push(`${value} == ${cedarString(arg.value)}`);
  }
  return conditions.join(" && ");
}

/**
 * The rules as Cedar policies keyed by id (`r12_allow`): deny rules are `forbid`, allow and ask
 * rules are `permit`, and the call's tool name and string fields are the request context.
 */
export function toCedarPolicies(rules: readonly RuleSpec[]): Record<string, string> {
  const policies: Record<string, string> = {};
  rules.forEach((rule, index) => {
    const effect = rule.behavior === "deny" ? "forbid" : "permit";
    policies[`r${index}_${rule.behavior}`] =
      `${effect}(principal, action == Action::"call", resource) when { ${cedarCondition(rule)} };`;
  });
  return policies;
}

/**
 * How the naive engine runs a glob: `regex` tests the RegExp of `picomatch.makeRe` (the faster,
 * and so the stricter baseline); `matcher` calls the function `picomatch()` returns, which
 * allocates a result object on every call.
 */
export type NaiveFlavor = "regex" | "matcher";

function globTest(glob: string, options: picomatch.PicomatchOptions, flavor: NaiveFlavor) {
  if (flavor === "matcher") return picomatch(glob, options);
  const regex = picomatch.makeRe(glob, options);
  return (value: string) => regex.test(value);
}

function naiveTool(tool: ToolSpec, flavor: NaiveFlavor): (name: string) => boolean {
  if (tool.kind === "regex") {
    const regex = new RegExp(tool.source);
    return (name) => regex.test(name);
  }
  return globTest(tool.kind === "exact" ? tool.name : tool.glob, {}, flavor);
}

function naiveArg(arg: FieldSpec, flavor: NaiveFlavor): (value: string) => boolean {
  if (arg.op === "primary") return globTest(arg.value, { bash: true, dot: true }, flavor);
  if (arg.op === "path") return globTest(arg.value, { dot: true }, flavor);
  if (arg.op === "regex") {
    const regex = new RegExp(arg.value, "i");
    return (value) => regex.test(value);
  }
  const expected = arg.value;
  return (value) => value === expected;
}

/** The rules as the straightforward hand-written engine: one picomatch matcher per rule. */
export function toNaiveRules(
  rules: readonly RuleSpec[],
  flavor: NaiveFlavor = "regex",
): NaiveRule[] {
  return rules.map((rule) => ({
    tool: naiveTool(rule.tool, flavor),
    field: rule.arg?.field,
    arg: rule.arg ? naiveArg(rule.arg, flavor) : undefined,
    behavior: rule.behavior,
  }));
}
