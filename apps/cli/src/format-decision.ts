import {
  type CompiledRule,
  type Explanation,
  formatExplanation,
  type PolicySource,
  type Tier,
} from "@warden/rules";

/** The tier sources a policy was compiled from, to locate its rules in their files. */
export type TierSources = Partial<Record<Tier, PolicySource>>;

/** Where a rule was written: its file, line and column when it came from a file. */
function locateRule(rule: CompiledRule, sources: TierSources) {
  const position = rule.origin === "rule" ? sources[rule.tier]?.locate?.(rule.index) : undefined;
  return {
    ...(rule.file !== undefined ? { file: rule.file } : {}),
    ...(position ? { line: position.line, column: position.column } : {}),
  };
}

function ruleJson(rule: CompiledRule, sources: TierSources) {
  return {
    id: rule.id,
    pattern: rule.pattern,
    behavior: rule.behavior,
    tier: rule.tier,
    origin: rule.origin,
    ...(rule.message !== undefined ? { message: rule.message } : {}),
    ...locateRule(rule, sources),
  };
}

/** The decision and its explanation as a JSON-ready object (what `check --json` prints). */
export function decisionJson(explanation: Explanation, sources: TierSources) {
  const { decision } = explanation;
  return {
    decision: decision.decision,
    reason: decision.reason,
    message: decision.message,
    tier: decision.tier,
    rule: decision.rule ? ruleJson(decision.rule, sources) : null,
    ...(decision.rules ? { rules: decision.rules.map((rule) => rule.pattern) } : {}),
    ...(decision.uncertain ? { uncertain: decision.uncertain } : {}),
    settings: explanation.settings,
    trace: explanation.rules
      .filter((trace) => trace.toolMatches)
      .map((trace) => ({
        id: trace.rule.id,
        pattern: trace.rule.pattern,
        behavior: trace.rule.behavior,
        matches: trace.matches,
        decided: trace.decided,
      })),
    ...(explanation.shell ? { shell: explanation.shell } : {}),
    ...(explanation.notes.length > 0 ? { notes: explanation.notes } : {}),
  };
}

/** A headline (`allow — Bash(npm test) [project tier] policy.yaml:4:9`) over the explanation. */
export function formatDecision(explanation: Explanation, sources: TierSources): string {
  const { decision } = explanation;
  let headline = `${decision.decision} — `;
  if (decision.rule) {
    const { file, line, column } = locateRule(decision.rule, sources);
    const where =
      file === undefined ? "" : ` ${file}${line === undefined ? "" : `:${line}:${column}`}`;
    const origin = decision.rule.origin === "capability" ? ", from capabilities" : "";
    headline += `${decision.rule.pattern} [${decision.rule.tier} tier${origin}]${where}`;
  } else {
    headline += `no rule decided (${decision.reason})`;
  }
  return `${headline}\n\n${formatExplanation(explanation)}`;
}
