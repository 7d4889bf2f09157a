import type { z } from "zod";
import { capabilityRules } from "./capabilities.ts";
import { PolicyError, type PolicyErrorLocation } from "./errors.ts";
import { checkRuleExamples } from "./examples.ts";
import type { Matcher } from "./glob.ts";
import { type ArgumentTest, compilePathGlob, compilePattern } from "./match.ts";
import type { NormalizedPath } from "./path.ts";
import { parsePattern } from "./pattern.ts";
import {
  type Behavior,
  type Mode,
  type ParsedPolicyDocument,
  type PolicyDocument,
  PolicyDocumentSchema,
  type Precedence,
  type RuleEntry,
  type Tier,
  type ToolSpec,
} from "./schema.ts";
import { type ResolvedToolSpec, resolveTool } from "./tools.ts";

/** Where a document came from, so that errors and decisions can name it. */
export interface PolicySource {
  readonly document: PolicyDocument;
  /** File name shown in errors and decisions. */
  readonly file?: string;
  /** Maps a rule index to the line and column of its pattern in the file. */
  readonly locate?: (ruleIndex: number) => { line: number; column: number } | undefined;
}

/** The documents of the three tiers; each may be absent. */
export interface PolicyTiers {
  readonly global?: PolicySource | PolicyDocument;
  readonly project?: PolicySource | PolicyDocument;
  readonly session?: PolicySource | PolicyDocument;
}

/** One rule of a compiled policy, as decisions and explanations name it. */
export interface CompiledRule {
  /** `tier:index`, unique within the policy. */
  readonly id: string;
  readonly tier: Tier;
  /** Index in its tier: written rules first, then rules compiled from capabilities. */
  readonly index: number;
  /** The pattern as written. */
  readonly pattern: string;
  readonly behavior: Behavior;
  readonly origin: "rule" | "capability";
  readonly message?: string;
  readonly scope?: string;
  readonly file?: string;
}

/** The settings in force after merging the tiers. */
export interface PolicySettings {
  readonly defaultBehavior: Behavior;
  readonly precedence: Precedence;
  readonly mode: Mode;
  readonly forbiddenModes: readonly Mode[];
  readonly maxTurns: number | undefined;
  readonly maxCostUsd: number | undefined;
  readonly askTimeoutSeconds: number;
  readonly askTimeoutMessage: string;
  readonly protectedPaths: readonly string[];
}

/** A compiled, deeply immutable policy. Changing it means compiling a new one. */
export interface CompiledPolicy {
  /** Content hash of the tier documents: equal versions decide equally. */
  readonly version: string;
  readonly rules: readonly CompiledRule[];
  readonly settings: PolicySettings;
  readonly documents: Readonly<Partial<Record<Tier, ParsedPolicyDocument>>>;
}

/** Engine internals of a compiled policy, kept out of its public shape. */
export interface PolicyInternals {
  readonly rules: readonly InternalRule[];
  readonly tools: Readonly<Record<string, ToolSpec>>;
  readonly protectedMatchers: readonly ((path: NormalizedPath) => boolean)[];
  spec(toolName: string): ResolvedToolSpec;
  candidates(toolName: string): readonly InternalRule[];
}

/** A rule with its compiled matchers. */
export interface InternalRule {
  readonly public: CompiledRule;
  readonly tool: Matcher;
  readonly args: ArgumentTest;
  readonly exactTool: string | undefined;
  readonly rank: number;
}

const TIERS: readonly Tier[] = ["global", "project", "session"];
const CACHE_LIMIT = 4096;
const DEFAULT_TIMEOUT_SECONDS = 300;
const DEFAULT_PROTECTED = ["**/.git", "**/.git/**", "**/.warden/**"];
const internalsOf = new WeakMap<CompiledPolicy, PolicyInternals>();

/** The engine's view of a compiled policy. */
export function policyInternals(policy: CompiledPolicy): PolicyInternals {
  const internals = internalsOf.get(policy);
  if (!internals) throw new TypeError("not a policy returned by compilePolicy()");
  return internals;
}

function asSource(value: PolicySource | PolicyDocument): PolicySource {
  return "document" in value && typeof value.document === "object" && !("rules" in value)
    ? (value as PolicySource)
    : { document: value as PolicyDocument };
}

/** Validates a document against the schema; a fault becomes a located `invalid_document` error. */
export function parseDocument(
  document: unknown,
  location: PolicyErrorLocation = {},
): ParsedPolicyDocument {
  const result = PolicyDocumentSchema.safeParse(document);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new PolicyError("invalid_document", describeIssue(issue), {
    ...location,
    path: issue.path.join("."),
    ...(issue.path[0] === "rules" && typeof issue.path[1] === "number"
      ? { rule: issue.path[1] }
      : {}),
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}

/**
 * Compiles the tiers into one policy. Throws a located `PolicyError` for any fault: a document
 * that does not validate, a pattern that does not parse, a regex or glob that does not compile,
 * a forbidden mode, or an inline example that does not hold.
 * @example compilePolicy({ project: { document: { rules: [{ tool: "Bash(npm *)", behavior: "allow" }] } } })
 */
export function compilePolicy(tiers: PolicyTiers): CompiledPolicy {
  const documents: Partial<Record<Tier, ParsedPolicyDocument>> = {};
  const sources: Partial<Record<Tier, PolicySource>> = {};
  for (const tier of TIERS) {
    const value = tiers[tier];
    if (!value) continue;
    const source = asSource(value);
    sources[tier] = source;
    documents[tier] = parseDocument(source.document, {
      tier,
      ...(source.file ? { file: source.file } : {}),
    });
  }

  const tools: Record<string, ToolSpec> = {};
  for (const tier of TIERS) Object.assign(tools, documents[tier]?.tools);

  const settings = mergeSettings(documents, sources);
  const rankOf = behaviorRank(settings.precedence);
  const rules: InternalRule[] = [];
  for (const tier of TIERS) {
    const document = documents[tier];
    if (!document) continue;
    const source = sources[tier]!;
    const written = document.rules.map((entry) => ({ entry, origin: "rule" as const }));
    const compiled = document.capabilities
      ? capabilityRules(document.capabilities, tools).map((entry) => ({
          entry,
          origin: "capability" as const,
        }))
      : [];
    [...written, ...compiled].forEach(({ entry, origin }, index) => {
      const rank = rankOf[entry.behavior] * 1e7 + TIERS.indexOf(tier) * 1e6 + index;
      rules.push(compileRule(entry, { tier, index, origin, source, rank }));
    });
  }
  const ranked = [...rules].sort((a, b) => a.rank - b.rank);

  const policy: CompiledPolicy = deepFreeze({
    version: hashDocuments(documents),
    rules: rules.map((rule) => rule.public),
    settings,
    documents: structuredClone(documents),
  });
  const internals = buildInternals(ranked, tools, settings);
  for (const rule of rules) {
    const document = documents[rule.public.tier]!;
    const entry = document.rules[rule.public.index];
    if (rule.public.origin === "rule" && entry) {
      checkRuleExamples(internals, rule, entry, sources[rule.public.tier]!);
    }
  }
  internalsOf.set(policy, internals);
  return policy;
}

function behaviorRank(precedence: Precedence): Record<Behavior, number> {
  return precedence === "deny-allow-ask"
    ? { deny: 0, allow: 1, ask: 2 }
    : { deny: 0, ask: 1, allow: 2 };
}

interface RuleOrigin {
  tier: Tier;
  index: number;
  origin: "rule" | "capability";
  source: PolicySource;
  rank: number;
}

function compileRule(
  entry: RuleEntry,
  { tier, index, origin, source, rank }: RuleOrigin,
): InternalRule {
  try {
    const pattern = parsePattern(entry.tool);
    const { tool, args } = compilePattern(pattern);
    const rule: CompiledRule = {
      id: `${tier}:${index}`,
      tier,
      index,
      pattern: entry.tool,
      behavior: entry.behavior,
      origin,
      ...(entry.message !== undefined ? { message: entry.message } : {}),
      ...(entry.scope !== undefined ? { scope: entry.scope } : {}),
      ...(source.file ? { file: source.file } : {}),
    };
    const exactTool = pattern.tool.kind === "exact" ? pattern.tool.name : undefined;
    return { public: rule, tool, args, exactTool, rank };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const position = origin === "rule" ? source.locate?.(index) : undefined;
    const column = position ? position.column + (error.location.patternColumn ?? 1) - 1 : undefined;
    throw error.locate({
      tier,
      rule: index,
      ...(source.file ? { file: source.file } : {}),
      ...(position ? { line: position.line, column } : {}),
    });
  }
}

function mergeSettings(
  documents: Partial<Record<Tier, ParsedPolicyDocument>>,
  sources: Partial<Record<Tier, PolicySource>>,
): PolicySettings {
  const mostSpecific = <T>(pick: (d: ParsedPolicyDocument) => T | undefined): T | undefined => {
    for (const tier of [...TIERS].reverse()) {
      const document = documents[tier];
      const value = document ? pick(document) : undefined;
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const strictest = (pick: (d: ParsedPolicyDocument) => number | undefined): number | undefined => {
    const values = TIERS.map((t) => (documents[t] ? pick(documents[t]) : undefined)).filter(
      (v): v is number => v !== undefined,
    );
    return values.length > 0 ? Math.min(...values) : undefined;
  };

  const forbiddenModes = [...new Set(TIERS.flatMap((t) => documents[t]?.forbid_modes ?? []))];
  const mode = mostSpecific((d) => d.mode) ?? "default";
  if (forbiddenModes.includes(mode)) {
    const setter = [...TIERS].reverse().find((t) => documents[t]?.mode === mode);
    const forbidder = TIERS.find((t) => documents[t]?.forbid_modes?.includes(mode));
    throw new PolicyError("mode_forbidden", `mode ${mode} is forbidden by the ${forbidder} tier`, {
      ...(setter ? { tier: setter } : {}),
      path: "mode",
      ...(setter && sources[setter]?.file ? { file: sources[setter]?.file } : {}),
    });
  }
  const files = TIERS.map((t) => sources[t]?.file).filter((f): f is string => f !== undefined);
  return {
    defaultBehavior: mostSpecific((d) => d.default_behavior) ?? "ask",
    precedence: mostSpecific((d) => d.precedence) ?? "deny-allow-ask",
    mode,
    forbiddenModes,
    maxTurns: strictest((d) => d.budgets?.max_turns),
    maxCostUsd: strictest((d) => d.budgets?.max_cost_usd),
    askTimeoutSeconds: strictest((d) => d.ask?.timeout_seconds) ?? DEFAULT_TIMEOUT_SECONDS,
    askTimeoutMessage:
      mostSpecific((d) => d.ask?.timeout_message) ??
      "Nobody answered the permission request in time.",
    protectedPaths: [
      ...DEFAULT_PROTECTED,
      ...files.filter((f) => f.startsWith("/")),
      ...TIERS.flatMap((t) => documents[t]?.protected_paths ?? []),
    ],
  };
}

function buildInternals(
  rules: readonly InternalRule[],
  tools: Readonly<Record<string, ToolSpec>>,
  settings: PolicySettings,
): PolicyInternals {
  const byExact = new Map<string, InternalRule[]>();
  const wildcard: InternalRule[] = [];
  for (const rule of rules) {
    if (rule.exactTool === undefined) wildcard.push(rule);
    else {
      const list = byExact.get(rule.exactTool) ?? [];
      list.push(rule);
      byExact.set(rule.exactTool, list);
    }
  }
  const candidateCache = new Map<string, readonly InternalRule[]>();
  const specCache = new Map<string, ResolvedToolSpec>();
  const frozenTools = deepFreeze(structuredClone(tools));
  return {
    rules,
    tools: frozenTools,
    protectedMatchers: settings.protectedPaths.map((glob) => compilePathGlob(glob)),
    spec(toolName) {
      let spec = specCache.get(toolName);
      if (!spec) {
        if (specCache.size >= CACHE_LIMIT) specCache.clear();
        spec = resolveTool(toolName, frozenTools);
        specCache.set(toolName, spec);
      }
      return spec;
    },
    candidates(toolName) {
      let list = candidateCache.get(toolName);
      if (!list) {
        if (candidateCache.size >= CACHE_LIMIT) candidateCache.clear();
        const exact = byExact.get(toolName) ?? [];
        const matching = wildcard.filter((rule) => rule.tool(toolName));
        list = [...exact, ...matching].sort((a, b) => a.rank - b.rank);
        candidateCache.set(toolName, list);
      }
      return list;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function hashDocuments(documents: Partial<Record<Tier, ParsedPolicyDocument>>): string {
  const text = JSON.stringify(TIERS.map((tier) => documents[tier] ?? null));
  let hash = 0x811c9dc5;
  let hash2 = 0x12345678;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    hash = Math.imul(hash ^ code, 0x01000193);
    hash2 = Math.imul(hash2 ^ code, 0x5bd1e995);
  }
  return (hash >>> 0).toString(16).padStart(8, "0") + (hash2 >>> 0).toString(16).padStart(8, "0");
}
