import {
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  evaluate,
  type ToolCall,
} from "../../packages/rules/src/index.ts";
import {
  type CedarEngine,
  evaluateNaive,
  type Outcome,
  prepareCedar,
  wardenOutcome,
} from "./engines.ts";
import { type Measured, measureMedians } from "./measure.ts";
import { type NaiveRule, toCedarPolicies, toNaiveRules, toWardenDocument } from "./policy-forms.ts";
import {
  BASH_COMPOUND,
  BENCH_CWD,
  bashCompoundVariant,
  generatePolicy,
  PROBE_CALL,
  probeVariant,
} from "./policy-gen.ts";

/** The medians `runRulesBench` reports, in nanoseconds per call. */
export type RulesMetric =
  | "eval_10_ns"
  | "eval_100_ns"
  | "eval_1000_ns"
  | "bash_compound_ns"
  | "cedar_100_ns"
  | "naive_100_ns";

/** Median nanoseconds per call for each metric. */
export type RulesBenchResult = Record<RulesMetric, number>;

/** Where progress and decisions go (stderr by default). */
export interface RulesBenchOptions {
  readonly log?: (line: string) => void;
}

const SIZES = [10, 100, 1000] as const;
/** More variants than the shell analysis cache holds (512), so every measured call misses it. */
const BASH_VARIANTS = 1024;
/**
 * Distinct variants of the probe call that every engine cycles through, so that no measured call
 * can be served from a cache keyed by input values.
 */
const PROBE_VARIANTS = 1024;

interface Engines {
  readonly warden: CompiledPolicy;
  readonly naive: readonly NaiveRule[];
  readonly cedar: CedarEngine;
}

const context = { cwd: BENCH_CWD };
const bashCall: ToolCall = { toolName: "Bash", input: { command: BASH_COMPOUND } };
/** Variants of the compound command, distinct for each policy size so no two measurements share them. */
const bashVariants = (size: number): ToolCall[] =>
  Array.from({ length: BASH_VARIANTS }, (_, n) => ({
    toolName: "Bash",
    input: { command: bashCompoundVariant(size * BASH_VARIANTS + n) },
  }));
/** Variants of the probe call, distinct for each policy size. */
const probeVariants = (size: number): ToolCall[] =>
  Array.from({ length: PROBE_VARIANTS }, (_, n) => probeVariant(size * PROBE_VARIANTS + n));

function describeDecision(decision: Decision): string {
  const patterns = [decision.rule, ...(decision.rules ?? [])].flatMap((rule) =>
    rule ? [rule.pattern] : [],
  );
  return `${decision.decision} (${[...new Set(patterns)].join(", ") || decision.reason})`;
}

function buildEngines(size: number, log: (line: string) => void): Engines {
  const rules = generatePolicy(size);
  const start = performance.now();
  const warden = compilePolicy({ project: toWardenDocument(rules) });
  const compiled = performance.now();
  const cedar = prepareCedar(`bench-${size}`, toCedarPolicies(rules));
  const parsed = performance.now();
  log(
    `${size} rules: Warden compiles in ${(compiled - start).toFixed(1)} ms, ` +
      `Cedar parses in ${(parsed - compiled).toFixed(1)} ms`,
  );
  return { warden, naive: toNaiveRules(rules), cedar };
}

/** Prints each engine's decision on the probe call and stops the run if they disagree. */
function checkProbe(size: number, engines: Engines, log: (line: string) => void): void {
  const decision = evaluate(engines.warden, PROBE_CALL, context);
  const naive = evaluateNaive(engines.naive, PROBE_CALL);
  const cedar = engines.cedar.evaluate(PROBE_CALL);
  log(
    `${size} rules, ${PROBE_CALL.toolName} ${JSON.stringify(PROBE_CALL.input)}: ` +
      `Warden ${describeDecision(decision)}, naive ${naive}, Cedar ${cedar.outcome} (${cedar.reasons.join(", ")})`,
  );
  const outcomes: Outcome[] = [wardenOutcome(decision), naive, cedar.outcome];
  if (decision.reason !== "rule" || outcomes.some((o) => o !== outcomes[0]) || cedar.errors > 0) {
    throw new Error(
      `the engines disagree on the probe call at ${size} rules: ${outcomes.join(" / ")}`,
    );
  }
  for (const variant of probeVariants(size)) {
    const same = evaluate(engines.warden, variant, context).rule?.id === decision.rule?.id;
    if (!same || evaluateNaive(engines.naive, variant) !== naive) {
      throw new Error(`${JSON.stringify(variant.input)} is not decided like the probe call`);
    }
  }
}

/**
 * Median time per evaluation: Warden at 10, 100 and 1,000 rules and on a compound Bash command,
 * and the same 100-rule policy in cedar-wasm and as a naive picomatch loop, measured in
 * interleaved rounds so that a noisy neighbour slows all of them alike. Every engine cycles
 * through 1,024 distinct variants of each measured call, so no input-keyed cache can serve it.
 * @example const { eval_100_ns, naive_100_ns } = await runRulesBench();
 */
export async function runRulesBench(options: RulesBenchOptions = {}): Promise<RulesBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const engines = new Map<number, Engines>();
  for (const size of SIZES) {
    const built = buildEngines(size, log);
    checkProbe(size, built, log);
    engines.set(size, built);
  }
  const at = (size: number) => engines.get(size)!;
  log(
    `100 rules, Bash ${JSON.stringify(BASH_COMPOUND)}: Warden ${describeDecision(evaluate(at(100).warden, bashCall, context))}`,
  );

  const warden = (size: number): Measured => {
    const { warden: policy } = at(size);
    const variants = probeVariants(size);
    return (n) => evaluate(policy, variants[n % PROBE_VARIANTS]!, context);
  };
  const bash = (size: number): Measured => {
    const { warden: policy } = at(size);
    const variants = bashVariants(size);
    return (n) => evaluate(policy, variants[n % BASH_VARIANTS]!, context);
  };
  const naive = (rules: readonly NaiveRule[], size: number): Measured => {
    const variants = probeVariants(size);
    return (n) => evaluateNaive(rules, variants[n % PROBE_VARIANTS]!);
  };
  const cedar = (size: number): Measured => {
    const { cedar: engine } = at(size);
    const variants = probeVariants(size);
    return (n) => engine.evaluate(variants[n % PROBE_VARIANTS]!);
  };

  const medians = measureMedians({
    eval_10_ns: warden(10),
    eval_100_ns: warden(100),
    eval_1000_ns: warden(1000),
    bash_compound_ns: bash(100),
    cedar_100_ns: cedar(100),
    naive_100_ns: naive(at(100).naive, 100),
    // Not reported, logged to explain the numbers above.
    bash_cached_100: () => evaluate(at(100).warden, bashCall, context),
    bash_compound_1000: bash(1000),
    naive_matcher_100: naive(toNaiveRules(generatePolicy(100), "matcher"), 100),
    naive_1000: naive(at(1000).naive, 1000),
    cedar_1000: cedar(1000),
  });

  log(
    `Bash compound: ${formatNs(medians.bash_cached_100)} at 100 rules when the shell analysis is ` +
      `cached; ${formatNs(medians.bash_compound_1000)} at 1,000 rules uncached`,
  );
  log(
    `naive loop calling picomatch() matchers instead of their RegExps: ${formatNs(medians.naive_matcher_100)} at 100 rules`,
  );
  log(
    `1,000 rules: naive ${formatNs(medians.naive_1000)} (${(medians.naive_1000 / medians.naive_100_ns).toFixed(1)}× its 100), ` +
      `Cedar ${formatNs(medians.cedar_1000)} (${(medians.cedar_1000 / medians.cedar_100_ns).toFixed(1)}× its 100)`,
  );

  return {
    eval_10_ns: Math.round(medians.eval_10_ns),
    eval_100_ns: Math.round(medians.eval_100_ns),
    eval_1000_ns: Math.round(medians.eval_1000_ns),
    bash_compound_ns: Math.round(medians.bash_compound_ns),
    cedar_100_ns: Math.round(medians.cedar_100_ns),
    naive_100_ns: Math.round(medians.naive_100_ns),
  };
}

/** Nanoseconds as `412 ns`, `2.10 µs` or `3.2 ms`. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(1)} ms`;
}
