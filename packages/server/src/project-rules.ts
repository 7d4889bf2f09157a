// Project rules: "always" rules every session of a project loads. They come only from a
// validated `always` reply with scope project (sent by the session actor as the system) or from
// an admin; they are validated, bounded, compiled before they are stored, and logged.
import { compilePolicy, evaluate } from "@warden/rules";
import { z } from "zod";
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import { compileOrFail, type ServerPolicy } from "./policy.ts";
import { parseInput, RuleInputSchema } from "./schema.ts";
import type { SessionRule } from "./types.ts";

/** Rules one project may hold. */
export const MAX_PROJECT_RULES = 200;
/** Entries the project's rule log keeps (oldest dropped first). */
export const MAX_RULE_LOG = 500;

/** One rule to add: an admin's rule, or an approver's "always" rule relayed by a session. */
const ProjectRuleInputSchema = RuleInputSchema.extend({
  /** Who chose the rule (relayed by the system only; an admin's own id otherwise). */
  addedBy: z.string().min(1).max(200).optional(),
  addedAt: z.number().int().nonnegative().optional(),
  source: z.enum(["always", "admin", "project"]).optional(),
});

export const AddProjectRulesSchema = z.array(ProjectRuleInputSchema).min(1).max(20);
export type ProjectRuleInput = z.input<typeof ProjectRuleInputSchema>;

/** One change of a project's rules, as the project keeps it. */
export interface ProjectRuleLogEntry {
  readonly at: number;
  readonly by: string;
  readonly change: "added" | "removed";
  readonly rule: SessionRule;
}

export interface ProjectRulesState {
  projectId: string;
  rules: SessionRule[];
  rulesLog: ProjectRuleLogEntry[];
}

/**
 * Adds rules: validated, deduplicated by pattern, within the limit, and compiled together with the
 * project's policy file before anything is stored. Returns the rules that are new (possibly none).
 */
export function addProjectRules(
  state: ProjectRulesState,
  raw: unknown,
  principal: Principal,
  policy: ServerPolicy,
  now: number,
): SessionRule[] {
  const input = parseInput(AddProjectRulesSchema, raw, "rules");
  const relayed = principal.role === "system";
  const known = new Set(state.rules.map((r) => `${r.tool}\u0000${r.behavior}`));
  const added: SessionRule[] = [];
  for (const rule of input) {
    const key = `${rule.tool}\u0000${rule.behavior}`;
    if (known.has(key)) continue;
    known.add(key);
    added.push({
      id: rule.id ?? `prule_${crypto.randomUUID().slice(0, 12)}`,
      tool: rule.tool,
      behavior: rule.behavior,
      ...(rule.message !== undefined ? { message: rule.message } : {}),
      addedBy: relayed ? (rule.addedBy ?? principal.id) : principal.id,
      addedAt: now,
      source: "project",
    });
  }
  if (added.length === 0) return [];
  if (state.rules.length + added.length > MAX_PROJECT_RULES)
    fail("invalid_rule", `a project holds at most ${MAX_PROJECT_RULES} rules`, {
      limit: MAX_PROJECT_RULES,
    });
  const ids = new Set(state.rules.map((r) => r.id));
  for (const rule of added)
    if (ids.has(rule.id)) fail("invalid_rule", `project rule id ${rule.id} is already used`);
  compileOrFail(policy, {
    projectId: state.projectId,
    projectRules: [...state.rules, ...added],
    sessionRules: [],
    mode: null,
  });
  state.rules.push(...added);
  for (const rule of added) log(state, { at: now, by: rule.addedBy, change: "added", rule });
  return added;
}

/** Removes a rule by id; returns it, or fails with `not_found`. */
export function removeProjectRule(
  state: ProjectRulesState,
  ruleId: unknown,
  principal: Principal,
  now: number,
): SessionRule {
  const id = parseInput(z.string().min(1).max(200), ruleId, "ruleId");
  const rule = state.rules.find((r) => r.id === id);
  if (!rule) return fail("not_found", `no project rule ${id}`);
  state.rules = state.rules.filter((r) => r.id !== id);
  log(state, { at: now, by: principal.id, change: "removed", rule });
  return rule;
}

function log(state: ProjectRulesState, entry: ProjectRuleLogEntry) {
  state.rulesLog.push(entry);
  if (state.rulesLog.length > MAX_RULE_LOG)
    state.rulesLog.splice(0, state.rulesLog.length - MAX_RULE_LOG);
}

/**
 * Fails with `invalid_rule` unless the rules of an "always" reply allow the call they answer:
 * an approver may not turn one request into a rule for something else.
 */
export function requireCoverage(
  rules: readonly SessionRule[],
  call: { toolName: string; input: Record<string, unknown> },
  context: Parameters<typeof evaluate>[2],
): void {
  if (rules.length === 0) return;
  const policy = compilePolicy({
    session: { rules: rules.map((r) => ({ tool: r.tool, behavior: r.behavior })) },
  });
  if (evaluate(policy, call, context).decision !== "allow")
    fail("invalid_rule", "an always rule must cover the request it answers", {
      rules: rules.map((r) => r.tool),
    });
}
