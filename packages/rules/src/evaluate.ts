import { PATH_PROBES } from "./breadth-paths.ts";
import {
  type CompiledPolicy,
  type CompiledRule,
  type InternalRule,
  type PolicyInternals,
  policyInternals,
} from "./compile.ts";
import {
  compilePathGlob,
  type PreparedCall,
  prepareCall,
  type Quantifier,
  resolveFieldPath,
} from "./match.ts";
import type { NormalizedPath } from "./path.ts";
import { normalizePath } from "./path.ts";
import { parseFieldPath } from "./pattern.ts";
import { candidatesOf, type ToolIndex } from "./rule-index.ts";
import type { Behavior, EvaluationContext, Tier, ToolCall } from "./schema.ts";
import { analyzeShell } from "./shell/index.ts";
import type { ShellAnalysis, ShellCommand, ShellUncertainty } from "./shell/types.ts";

/** Why a decision came out as it did. */
export type DecisionReason =
  | "rule"
  | "default"
  | "mode"
  | "protected_path"
  | "shell_uncertain"
  | "budget_exceeded";

/** The answer for one call: what to do, which rule and tier decided, and why. */
export interface Decision {
  readonly decision: Behavior;
  /** The deciding rule, or null when no rule decided (default, mode, budget). */
  readonly rule: CompiledRule | null;
  readonly tier: Tier | null;
  readonly reason: DecisionReason;
  /** A sentence for people and agents: the rule's own message on denial when it has one. */
  readonly message: string;
  /** Every rule that allowed part of a compound shell command, when more than one did. */
  readonly rules?: readonly CompiledRule[];
  /** What the shell analysis could not vouch for. */
  readonly uncertain?: readonly ShellUncertainty[];
}

interface RuleOutcome {
  behavior: Behavior;
  rule: InternalRule | null;
  rules?: InternalRule[];
  uncertain?: readonly ShellUncertainty[];
}

const quantifierFor = (behavior: Behavior): Quantifier => (behavior === "allow" ? "every" : "some");

/** Whether one compiled rule matches a call, with the same semantics `evaluate` uses. */
export function ruleMatches(
  internals: PolicyInternals,
  rule: InternalRule,
  call: ToolCall,
  context: EvaluationContext = {},
): boolean {
  if (!rule.tool(call.toolName)) return false;
  const input = isRecord(call.input) ? call.input : {};
  const prepared = prepareCall(call.toolName, input, internals.spec(call.toolName), context);
  const analysis = shellAnalysisOf(prepared);
  const quantifier = quantifierFor(rule.public.behavior);
  if (!analysis || analysis.commands.length === 0) return rule.args(prepared, quantifier);
  if (rule.public.behavior === "allow") {
    return analysis.commands.every(
      (command) =>
        rule.args(prepared, "every", [command.text]) || grants(rule, prepared, command.grant),
    );
  }
  return rule.args(prepared, "some") || rule.args(prepared, "some", shellSubjects(analysis));
}

function shellAnalysisOf(call: PreparedCall): ShellAnalysis | undefined {
  if (!call.spec.shell || call.spec.primary === undefined) return undefined;
  const command = call.input[call.spec.primary];
  return typeof command === "string" ? analyzeShell(command) : undefined;
}

/**
 * Whether an allow rule covers a program through the package runner that runs it: it matches
 * the runner's line and would not match it with another program (`ShellCommand.grant`).
 */
function grants(rule: InternalRule, call: PreparedCall, grant: ShellCommand["grant"]): boolean {
  return (
    grant !== undefined &&
    rule.public.behavior === "allow" &&
    rule.args(call, "every", [grant.text]) &&
    !rule.args(call, "every", [grant.probe])
  );
}

function shellSubjects(analysis: ShellAnalysis): string[] {
  const subjects: string[] = [];
  for (const command of analysis.commands) subjects.push(command.text, ...command.aliases);
  return subjects;
}

function evaluatePlain(
  index: ToolIndex<InternalRule>,
  call: PreparedCall,
  fallback: Behavior,
): RuleOutcome {
  for (const rule of candidatesOf(index, call)) {
    if (rule.args(call, quantifierFor(rule.public.behavior))) {
      return { behavior: rule.public.behavior, rule };
    }
  }
  return { behavior: fallback, rule: null };
}

const SEVERITY: Record<Behavior, number> = { allow: 0, ask: 1, deny: 2 };

function worst(outcomes: readonly RuleOutcome[]): RuleOutcome {
  let result = outcomes[0]!;
  for (const outcome of outcomes) {
    if (SEVERITY[outcome.behavior] > SEVERITY[result.behavior]) result = outcome;
    else if (outcome.behavior === result.behavior && !result.rule && outcome.rule) result = outcome;
  }
  if (result.behavior === "allow") {
    const rules = [
      ...new Set(outcomes.map((o) => o.rule).filter((r): r is InternalRule => r !== null)),
    ];
    if (rules.length > 1) return { ...result, rules };
  }
  return result;
}

function evaluateShell(
  internals: PolicyInternals,
  index: ToolIndex<InternalRule>,
  call: PreparedCall,
  analysis: ShellAnalysis,
  fallback: Behavior,
): RuleOutcome {
  const subjects = shellSubjects(analysis);
  const line = call.input[call.spec.primary!] as string;
  for (const rule of candidatesOf(index, call, [...subjects, line])) {
    if (rule.public.behavior !== "deny") break;
    if (rule.args(call, "some") || rule.args(call, "some", subjects)) {
      return { behavior: "deny", rule };
    }
  }

  const outcomes: RuleOutcome[] = analysis.commands.map((command) => {
    const text = [command.text];
    const texts = command.aliases.length === 0 ? text : [command.text, ...command.aliases];
    for (const rule of candidatesOf(index, call, texts)) {
      const behavior = rule.public.behavior;
      if (behavior === "deny") continue;
      if (rule.args(call, quantifierFor(behavior), behavior === "allow" ? text : texts)) {
        return { behavior, rule };
      }
    }
    if (command.grant) {
      for (const rule of candidatesOf(index, call, [command.grant.text])) {
        if (grants(rule, call, command.grant)) return { behavior: "allow", rule };
      }
    }
    return { behavior: fallback, rule: null };
  });

  const uncertain = [...analysis.uncertain];
  if (analysis.writes.length > 0) {
    const writeIndex = internals.index("Write");
    const writeSpec = internals.spec("Write");
    for (const write of analysis.writes) {
      const writeCall = prepareCall("Write", { file_path: write.path }, writeSpec, call.context);
      const outcome = evaluatePlain(writeIndex, writeCall, fallback);
      // A write that is the program's own job (`cp a b`) is granted by the rule for the program;
      // only a deny or ask rule on its path speaks (protected paths are checked by the mode).
      if (write.placed) {
        if (outcome.rule && outcome.behavior !== "allow") outcomes.push(outcome);
        continue;
      }
      outcomes.push(outcome);
      if (write.dynamic && !uncertain.includes("dynamic_command"))
        uncertain.push("dynamic_command");
    }
  }
  if (outcomes.length === 0) outcomes.push(evaluatePlain(index, call, fallback));

  const result = worst(outcomes);
  if (uncertain.length === 0) return result;
  if (result.behavior === "allow") return { behavior: "ask", rule: null, uncertain };
  return { ...result, uncertain };
}

function touchedPaths(call: PreparedCall): NormalizedPath[] {
  const values: string[] = [];
  for (const field of call.spec.paths) {
    for (const value of resolveFieldPath(call.input, parseFieldPath(field))) {
      if (typeof value === "string") values.push(value);
    }
  }
  const analysis = shellAnalysisOf(call);
  if (analysis) for (const write of analysis.writes) values.push(write.path);
  return values.map((value) => normalizePath(value, call.context));
}

/**
 * A shell write whose target is a glob (`cp .b* ~`, `echo x > ~/.ssh/a*`) may expand to a
 * protected file: the protected files of the breadth probes are tried against it as a glob. Only
 * targets the command names (a placed file, or an anchored path): a program's write of unknown
 * place in the working directory (`find . -delete` as `./**`) is left to the rules.
 */
function globbedProtected(
  internals: PolicyInternals,
  call: PreparedCall,
): NormalizedPath | undefined {
  const analysis = shellAnalysisOf(call);
  if (!analysis) return undefined;
  for (const write of analysis.writes) {
    if (!write.dynamic || !/[*?[]/.test(write.path)) continue;
    const text = write.path.replace(HOME_VARIABLE, "~");
    const anchored = /^[~/]/.test(text);
    if (!anchored && (!write.placed || call.context.cwd === undefined)) continue;
    let matcher: ReturnType<typeof compilePathGlob>;
    try {
      matcher = compilePathGlob(anchored ? text : `${call.context.cwd}/${text}`);
    } catch {
      continue;
    }
    for (const [probe, kind] of PATH_PROBES) {
      if (kind !== "startup") continue;
      const path = normalizePath(probe, call.context);
      if (matcher(path) && isProtected(internals, path)) return path;
    }
    // Entries no probe stands for (`~/.ss?/authorized_keys`), segment by segment.
    const target = normalizePath(anchored ? text : `${call.context.cwd}/${text}`, call.context);
    if (internals.protectedPaths.coversGlob(target)) return target;
  }
  return undefined;
}

function isProtected(internals: PolicyInternals, path: NormalizedPath): boolean {
  return internals.protectedPaths.covers(path);
}

/**
 * A shell write that may fill a directory tree (`cp -r dir/. ~`, `tar -x -C ~/.config`) at a root
 * under which a protected file may lie. A root that expands (`cp -r d ~/$x`) is taken up to its
 * first segment that is not plain text, and one that starts with an expansion as the root.
 */
function treeProtected(internals: PolicyInternals, call: PreparedCall): NormalizedPath | undefined {
  const analysis = shellAnalysisOf(call);
  if (!analysis) return undefined;
  let cwd: string | undefined;
  for (const write of analysis.writes) {
    if (!write.tree) continue;
    const root = write.dynamic ? plainPrefix(write.path) : write.path;
    const path = normalizePath(root, call.context);
    cwd ??= call.context.cwd === undefined ? undefined : normalizePath(".", call.context).absolute;
    if (internals.protectedPaths.coversTree(path, cwd, write.workTree)) return path;
    // A work tree named in home outside the working directory (`git -C ~/notes checkout .`) may
    // be home's own when that directory has no repository of its own: git looks upwards.
    if (write.workTree && path.tilde !== undefined && !within(path, cwd)) {
      const home = normalizePath("~", call.context);
      if (internals.protectedPaths.coversTree(home, cwd, true)) return path;
    }
  }
  return undefined;
}

/** Whether a path is the working directory or below it (`cwd`: absolute, when known). */
function within(path: NormalizedPath, cwd: string | undefined): boolean {
  const at = path.absolute;
  return cwd !== undefined && at !== undefined && (at === cwd || at.startsWith(`${cwd}/`));
}

/**
 * A shell write whose target cannot be known may be a protected file: one that expands beyond a
 * leading `$HOME` (`f=~/.bashrc; echo x > $f`, `cp a /tmp/$x` with `x=../home/dev/.bashrc`: an
 * expansion may hold `..`), or a relative one after a `cd` to a directory that expands (`cd $HOME
 * && echo x >> .bashrc`). Globs alone are tried as globs (`globbedProtected`).
 */
function unknownTarget(call: PreparedCall): NormalizedPath | undefined {
  const analysis = shellAnalysisOf(call);
  if (!analysis) return undefined;
  for (const write of analysis.writes) {
    if (!write.dynamic) continue;
    const home = HOME_VARIABLE.test(write.path);
    const rest = write.path.replace(HOME_VARIABLE, "");
    // Plain text marked dynamic is a relative path under a directory that expanded.
    const unknownDir = !home && !/[$`*?[]/.test(rest);
    if (/[$`]/.test(rest) || unknownDir) return normalizePath(write.path, call.context);
  }
  return undefined;
}

/** A leading `$HOME` or `${HOME}`, which normalisation expands. */
const HOME_VARIABLE = /^\$(?:HOME|\{HOME\})(?=\/|$)/;

/** The segments of a path before the first one holding an expansion, quote or glob. */
function plainPrefix(path: string): string {
  const lead = HOME_VARIABLE.exec(path)?.[0].length ?? 0;
  const found = path.slice(lead).search(/[$`*?[{\\"']/);
  const special = found === -1 ? -1 : found + lead;
  if (special === -1) return path;
  // A root that starts with an expansion (`tar -x -C $dir`) may be anywhere, the root included.
  if (special === 0) return "/";
  const slash = path.lastIndexOf("/", special);
  return slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
}

/**
 * Decides one call from the rules alone (no callback, no hook): deny beats everything, then the
 * policy's precedence between allow and ask, then the default; modes and budgets apply on top.
 * Never throws for any call.
 * @example evaluate(policy, { toolName: "Bash", input: { command: "npm test" } }, { cwd: "/repo" })
 */
export function evaluate(
  policy: CompiledPolicy,
  call: ToolCall,
  context: EvaluationContext = {},
): Decision {
  const decision = evaluateBeforeDontAsk(policy, call, context);
  return applyDontAsk(policy, decision);
}

/** Turns a remaining ask into a deny under `dontAsk` (run after any callback). */
function applyDontAsk(policy: CompiledPolicy, decision: Decision): Decision {
  if (policy.settings.mode !== "dontAsk" || decision.decision !== "ask") return decision;
  return {
    ...decision,
    decision: "deny",
    reason: "mode",
    message: "dontAsk mode: the call was not allowed by a rule, so it is denied.",
  };
}

/** `evaluate` without the final dontAsk conversion. */
function evaluateBeforeDontAsk(
  policy: CompiledPolicy,
  call: ToolCall,
  context: EvaluationContext = {},
): Decision {
  const { settings } = policy;
  const usage = context.usage;
  if (settings.maxTurns !== undefined && (usage?.turns ?? 0) >= settings.maxTurns) {
    return budgetDenial(`the session used its ${settings.maxTurns} turns`);
  }
  if (
    settings.maxCostUsd !== undefined &&
    (usage?.costUsd ?? 0) + (call.cost ?? 0) > settings.maxCostUsd
  ) {
    return budgetDenial(`the session would spend more than $${settings.maxCostUsd}`);
  }

  const internals = policyInternals(policy);
  const input = isRecord(call.input) ? call.input : {};
  const prepared = prepareCall(call.toolName, input, internals.spec(call.toolName), context);
  let outcome: RuleOutcome;
  try {
    const index = internals.index(call.toolName);
    const analysis = shellAnalysisOf(prepared);
    outcome = analysis
      ? evaluateShell(internals, index, prepared, analysis, settings.defaultBehavior)
      : evaluatePlain(index, prepared, settings.defaultBehavior);
  } catch {
    outcome = { behavior: "ask", rule: null, uncertain: ["too_complex"] };
  }
  return applyMode(policy, internals, prepared, toDecision(outcome, settings.defaultBehavior));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function budgetDenial(what: string): Decision {
  return {
    decision: "deny",
    rule: null,
    tier: null,
    reason: "budget_exceeded",
    message: `Budget exceeded: ${what}.`,
  };
}

function toDecision(outcome: RuleOutcome, fallback: Behavior): Decision {
  const internal = outcome.rule;
  if (internal && !outcome.rules && !outcome.uncertain) {
    const rule = internal.public;
    return {
      decision: outcome.behavior,
      rule,
      tier: rule.tier,
      reason: "rule",
      message: internal.message,
    };
  }
  const rule = internal?.public ?? null;
  const extra = {
    ...(outcome.rules ? { rules: outcome.rules.map((r) => r.public) } : {}),
    ...(outcome.uncertain ? { uncertain: outcome.uncertain } : {}),
  };
  if (rule) {
    return {
      decision: outcome.behavior,
      rule,
      tier: rule.tier,
      reason: "rule",
      message: internal!.message,
      ...extra,
    };
  }
  if (outcome.uncertain && outcome.behavior === "ask") {
    return {
      decision: "ask",
      rule: null,
      tier: null,
      reason: "shell_uncertain",
      message: `The command uses constructs that cannot be approved automatically (${outcome.uncertain.join(", ")}).`,
      ...extra,
    };
  }
  return {
    decision: outcome.behavior,
    rule: null,
    tier: null,
    reason: "default",
    message: `No rule matched; the default is ${fallback}.`,
    ...extra,
  };
}

function applyMode(
  policy: CompiledPolicy,
  internals: PolicyInternals,
  call: PreparedCall,
  decision: Decision,
): Decision {
  const { mode } = policy.settings;
  if (mode === "default" || mode === "dontAsk" || decision.decision === "deny") return decision;
  const kind = call.spec.kind;

  if (mode === "plan") {
    if (kind === "write" || kind === "execute" || kind === "code") {
      return modeDecision("deny", "plan mode: nothing that writes or executes may run.");
    }
    if (decision.decision === "allow" && kind === "other") {
      return modeDecision(
        "ask",
        "plan mode: this tool's effects are unknown, so it needs approval.",
      );
    }
    return decision;
  }

  const paths = touchedPaths(call);
  const guarded =
    paths.find((path) => isProtected(internals, path)) ??
    globbedProtected(internals, call) ??
    treeProtected(internals, call) ??
    unknownTarget(call);
  if (mode === "bypassPermissions") {
    if (guarded) return protectedDecision(guarded);
    if (decision.decision === "allow") return decision;
    return modeDecision("allow", "bypassPermissions mode: everything not denied is allowed.");
  }

  // acceptEdits: file edits inside the working directory need no approval.
  if (kind !== "write" || decision.reason === "rule" || decision.decision === "allow")
    return decision;
  if (
    paths.length === 0 ||
    paths.some((path) => path.relative === undefined || path.absolute === undefined)
  ) {
    return decision;
  }
  if (guarded) return protectedDecision(guarded);
  return modeDecision("allow", "acceptEdits mode: edits inside the working directory are allowed.");
}

function modeDecision(decision: Behavior, message: string): Decision {
  return { decision, rule: null, tier: null, reason: "mode", message };
}

function protectedDecision(path: NormalizedPath): Decision {
  return {
    decision: "ask",
    rule: null,
    tier: null,
    reason: "protected_path",
    message: `${path.absolute ?? path.lexical} is a protected path: it always needs approval.`,
  };
}
