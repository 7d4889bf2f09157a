import { type CompiledPolicy, type CompiledRule, policyInternals } from "./compile.ts";
import { type Decision, evaluate, ruleMatches } from "./evaluate.ts";
import type { EvaluationContext, ToolCall } from "./schema.ts";
import { analyzeShell } from "./shell/index.ts";
import type { ShellAnalysis } from "./shell/types.ts";

/** One rule's part in a decision. */
export interface RuleTrace {
  readonly rule: CompiledRule;
  /** The rule names this tool. */
  readonly toolMatches: boolean;
  /** The rule matches the whole call (as its behaviour quantifies: allow needs every part). */
  readonly matches: boolean;
  /** This rule is the one that decided. */
  readonly decided: boolean;
}

/** Everything that went into a decision, for people debugging a policy. */
export interface Explanation {
  readonly call: ToolCall;
  readonly decision: Decision;
  readonly settings: CompiledPolicy["settings"];
  readonly rules: readonly RuleTrace[];
  readonly shell?: ShellAnalysis;
  /** Facts about the context that change how rules read, e.g. an unknown home for `~` rules. */
  readonly notes: readonly string[];
}

/** What `~` means when the session's home is unknown (also in docs/policy.md). */
export const UNKNOWN_HOME_NOTE =
  "the session's home is unknown: deny and ask rules with ~ match under any home-like directory (/home/*, /Users/*, /root) and paths written with ~ or $HOME; allow rules with ~ match nothing";

/** Explains a decision: which rules name the tool, which match, which decided, and the settings. */
export function explain(
  policy: CompiledPolicy,
  call: ToolCall,
  context: EvaluationContext = {},
): Explanation {
  const internals = policyInternals(policy);
  const decision = evaluate(policy, call, context);
  const spec = internals.spec(call.toolName);
  const command = spec.primary !== undefined ? call.input[spec.primary] : undefined;
  // A shell command's redirections are checked as Write calls, so Write rules count too.
  const names = spec.shell ? [call.toolName, "Write"] : [call.toolName];
  const naming = internals.rules.filter((rule) => names.some((name) => rule.tool(name)));
  const notes = !context.home && naming.some((rule) => rule.usesHome) ? [UNKNOWN_HOME_NOTE] : [];
  const rules = internals.rules
    .map((rule) => {
      const toolMatches = rule.tool(call.toolName);
      return {
        rule: rule.public,
        toolMatches,
        matches: toolMatches && ruleMatches(internals, rule, call, context),
        decided: decision.rule?.id === rule.public.id,
      };
    })
    .sort((a, b) => policy.rules.indexOf(a.rule) - policy.rules.indexOf(b.rule));
  return {
    call,
    decision,
    settings: policy.settings,
    rules,
    notes,
    ...(spec.shell && typeof command === "string" ? { shell: analyzeShell(command) } : {}),
  };
}

/** Renders an explanation as plain text, one fact a line. */
export function formatExplanation(explanation: Explanation): string {
  const { decision, settings } = explanation;
  const lines = [
    `decision: ${decision.decision} (${decision.reason})`,
    `why:      ${decision.message}`,
  ];
  if (decision.rule) {
    lines.push(
      `rule:     ${decision.rule.pattern}  [${decision.rule.id}${decision.rule.file ? ` in ${decision.rule.file}` : ""}${decision.rule.origin === "capability" ? ", from capabilities" : ""}]`,
    );
  }
  if (decision.rules) lines.push(`rules:    ${decision.rules.map((r) => r.pattern).join(", ")}`);
  if (decision.uncertain) lines.push(`uncertain: ${decision.uncertain.join(", ")}`);
  lines.push(
    `settings: mode ${settings.mode}, default ${settings.defaultBehavior}, precedence ${settings.precedence}`,
  );
  for (const note of explanation.notes) lines.push(`note:     ${note}`);
  if (explanation.shell) {
    lines.push("commands:");
    for (const command of explanation.shell.commands) lines.push(`  - ${command.text}`);
    for (const write of explanation.shell.writes) lines.push(`  > writes ${write.path}`);
  }
  const relevant = explanation.rules.filter((trace) => trace.toolMatches);
  lines.push(relevant.length > 0 ? "rules naming this tool:" : "no rule names this tool");
  for (const trace of relevant) {
    const mark = trace.decided ? "=>" : trace.matches ? " +" : "  ";
    const origin = trace.rule.origin === "capability" ? " (capability)" : "";
    lines.push(
      `${mark} [${trace.rule.id}] ${trace.rule.behavior} ${trace.rule.pattern}${origin}${trace.matches ? "" : "  (no match)"}`,
    );
  }
  return lines.join("\n");
}
