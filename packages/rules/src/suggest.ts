import { assessBreadth, type BreadthWarning } from "./breadth.ts";
import type { CompiledPolicy } from "./compile.ts";
import { policyInternals } from "./compile.ts";
import { evaluate } from "./evaluate.ts";
import { normalizePath } from "./path.ts";
import { readsAsCondition } from "./pattern.ts";
import type { EvaluationContext, ToolCall } from "./schema.ts";
import { analyzeShell } from "./shell/index.ts";
import { type ResolvedToolSpec, resolveTool } from "./tools.ts";

/** An "always" rule set to offer an approver for one call, narrowest first. */
export interface RuleSuggestion {
  /** Allow patterns to add together (a compound command needs one per sub-command). */
  readonly patterns: readonly string[];
  readonly description: string;
  /** `narrow` when nothing broad was found; else the worst warning's severity. */
  readonly breadth: "narrow" | "broad" | "danger";
  readonly warnings: readonly BreadthWarning[];
}

const GLOB_SPECIAL = /[*?[\]{}()\\]/g;
const escapeGlob = (text: string) => text.replace(GLOB_SPECIAL, "\\$&");

/**
 * A primary glob matching exactly `text`: glob characters and quotes escaped (command globs lose
 * their quotes), and the first operator escaped when the text would read as a condition.
 */
function literalGlob(text: string): string {
  // Leading and trailing spaces (a blank first or last word) would be trimmed from the pattern.
  const glob = text
    .replace(/[*?[\]{}()\\"']/g, "\\$&")
    .replace(/^\s+|\s+$/g, (edge) => edge.replace(/\s/g, "\\$&"));
  return readsAsCondition(glob, 0) ? glob.replace(/[=~!]/, "\\$&") : glob;
}
const quote = (text: string) => `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

function suggestion(
  patterns: string[],
  description: string,
  context: EvaluationContext,
): RuleSuggestion {
  const unique = [...new Set(patterns)];
  const warnings = unique.flatMap((pattern) => assessBreadth(pattern, context));
  const breadth = warnings.some((w) => w.severity === "danger")
    ? "danger"
    : warnings.length > 0
      ? "broad"
      : "narrow";
  return { patterns: unique, description, breadth, warnings };
}

/**
 * Suggests "always" rules for a call, the narrowest first (`Bash(npm test)` for `npm test`,
 * never `Bash(*)`), each with breadth warnings. Returns none for a shell command that can never
 * be allowed by rules (substitutions, `eval`, `sh -c`…), and, given the policy, none when an
 * allow rule would change nothing: an ask rule that outranks allow rules (`deny-ask-allow`)
 * matches the call, or a protected path asks whatever the rules say.
 */
export function suggestRules(
  call: ToolCall,
  context: EvaluationContext = {},
  policy?: CompiledPolicy,
): RuleSuggestion[] {
  if (policy && !allowRulesTakeEffect(policy, call, context)) return [];
  const spec = policy
    ? policyInternals(policy).spec(call.toolName)
    : resolveTool(call.toolName, {});
  const primaryValue = spec.primary !== undefined ? call.input[spec.primary] : undefined;
  if (spec.shell && typeof primaryValue === "string")
    return suggestShell(call.toolName, primaryValue, context);
  const pathField = spec.paths.find((field) => typeof call.input[field] === "string");
  if (pathField) return suggestPath(call, spec, pathField, context);
  if (spec.primary !== undefined && typeof primaryValue === "string" && spec.kind === "web") {
    return suggestUrl(call.toolName, primaryValue, context);
  }
  return suggestTool(call.toolName, context);
}

/** Whether adding allow rules that cover the call could make it allowed under this policy. */
function allowRulesTakeEffect(
  policy: CompiledPolicy,
  call: ToolCall,
  context: EvaluationContext,
): boolean {
  const { usage: _usage, ...rest } = context;
  const decision = evaluate(policy, call, rest);
  if (decision.decision !== "ask") return true;
  if (decision.reason === "protected_path") return false;
  return !(policy.settings.precedence === "deny-ask-allow" && decision.rule?.behavior === "ask");
}

function suggestShell(tool: string, command: string, context: EvaluationContext): RuleSuggestion[] {
  const analysis = analyzeShell(command);
  if (analysis.uncertain.length > 0 || analysis.commands.length === 0) return [];
  const writes = analysis.writes
    .filter((write) => !write.placed)
    .map((write) => writePattern(write.path, context));
  const exact = analysis.commands.map((c) => `${tool}(${literalGlob(c.text)})`);
  const result = [
    suggestion(
      [...exact, ...writes],
      analysis.commands.length > 1 ? "exactly these commands" : "exactly this command",
      context,
    ),
  ];
  const heads = [...new Set(analysis.commands.map((c) => commandHead(c.argv)))];
  const prefixes = heads.flatMap((head) => [
    `${tool}(${literalGlob(head)})`,
    `${tool}(${literalGlob(head)} *)`,
  ]);
  result.push(
    suggestion([...prefixes, ...writes], `${heads.join(", ")} with any arguments`, context),
  );
  return dedupe(result);
}

/** The program and, when the next word is not an option, its subcommand: `git status`. */
function commandHead(argv: readonly string[]): string {
  const [program = "", next] = argv;
  return next !== undefined && !next.startsWith("-") && !/[/$=]/.test(next)
    ? `${program} ${next}`
    : program;
}

function writePattern(path: string, context: EvaluationContext): string {
  return `Write(file_path ~ ${quote(escapeGlob(displayPath(path, context)))})`;
}

function displayPath(path: string, context: EvaluationContext): string {
  const normalized = normalizePath(path, context);
  if (normalized.relative !== undefined && context.cwd) return normalized.relative;
  return normalized.absolute ?? normalized.lexical;
}

function suggestPath(
  call: ToolCall,
  spec: ResolvedToolSpec,
  field: string,
  context: EvaluationContext,
): RuleSuggestion[] {
  const path = displayPath(call.input[field] as string, context);
  const file = `${call.toolName}(${field} ~ ${quote(escapeGlob(path))})`;
  const result = [
    suggestion([file], `${spec.kind === "read" ? "read" : "change"} ${path} only`, context),
  ];
  const slash = path.lastIndexOf("/");
  if (slash > 0) {
    const dir = path.slice(0, slash);
    result.push(
      suggestion(
        [`${call.toolName}(${field} ~ ${quote(`${escapeGlob(dir)}/**`)})`],
        `anything under ${dir}/`,
        context,
      ),
    );
  }
  return result;
}

function suggestUrl(tool: string, url: string, context: EvaluationContext): RuleSuggestion[] {
  const result = [suggestion([`${tool}(${literalGlob(url)})`], "this URL only", context)];
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i.exec(url)?.[0];
  if (origin && origin !== url)
    result.push(
      suggestion([`${tool}(${literalGlob(origin)}/*)`], `anything on ${origin}`, context),
    );
  return result;
}

function suggestTool(tool: string, context: EvaluationContext): RuleSuggestion[] {
  const result = [suggestion([escapeGlob(tool)], `every call of ${tool}`, context)];
  const server = /^(mcp__[^_]+(?:_[^_]+)*?)__/.exec(tool)?.[1];
  if (server)
    result.push(
      suggestion([`${server}__*`], `every tool of the ${server.slice(5)} MCP server`, context),
    );
  return result;
}

function dedupe(suggestions: RuleSuggestion[]): RuleSuggestion[] {
  const seen = new Set<string>();
  return suggestions.filter((s) => {
    const key = s.patterns.join("\n");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
