import type { z } from "zod";
import { capabilityRules } from "./capabilities.ts";
import { PolicyError, type PolicyErrorLocation } from "./errors.ts";
import { checkRuleExamples } from "./examples.ts";
import type { Matcher } from "./glob.ts";
import { type ArgumentTest, compilePattern, pathGlobForm } from "./match.ts";
import { normalizeGlobPath } from "./path.ts";
import { type Pattern, parsePattern } from "./pattern.ts";
import { compileProtected, type ProtectedPaths } from "./protected.ts";
import { buildToolIndex, type Requirement, requirementsOf, type ToolIndex } from "./rule-index.ts";
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
import { isPolicySource, type PolicySource, type SourcePosition } from "./source.ts";
import { type ResolvedToolSpec, resolveTool } from "./tools.ts";

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
  readonly protectedPaths: ProtectedPaths;
  spec(toolName: string): ResolvedToolSpec;
  /** The rules naming a tool, in rank order, indexed by the fields they require (rule-index.ts). */
  index(toolName: string): ToolIndex<InternalRule>;
}

/** A rule with its compiled matchers. */
export interface InternalRule {
  readonly public: CompiledRule;
  readonly tool: Matcher;
  readonly args: ArgumentTest;
  readonly exactTool: string | undefined;
  readonly rank: number;
  readonly requirements: readonly Requirement[];
  /** The decision message when this rule decides. */
  readonly message: string;
  /** The rule has a `~` path glob: it depends on the session's home (see `explain`). */
  readonly usesHome: boolean;
}

const TIERS: readonly Tier[] = ["global", "project", "session"];
const CACHE_LIMIT = 4096;
const DEFAULT_TIMEOUT_SECONDS = 300;
/**
 * Protected in every policy: what makes a later, harmless-looking program run code, write files or
 * trust someone. A repository's `.git` (hooks, `core.fsmonitor`, pagers run on `git status`) and
 * `.hg/hgrc` (hooks on `hg status`), Warden's own `.warden/`, and the files a later start reads:
 * shell start-up files, and the user configuration of programs that rules commonly allow as
 * read-only (`kubectl get`, `aws s3 ls`, `curl`, `less`, `python3 x.py`), each checked against the
 * real program or its documentation (docs/policy.md, "Protected paths", has the evidence):
 * kubeconfig exec plugins, AWS `credential_process`, docker `credsStore`, `.curlrc`/`.wgetrc`
 * output and log options, `.psqlrc`/`.sqliterc`/`.gdbinit` shell commands, lesskey's `#env`
 * `LESSOPEN`, Python's user site `.pth` lines, pip's `log`, `.mavenrc` (sourced by `mvn`), gradle
 * init scripts, editors' start-up files, and the user's bin directories early in PATH on common
 * distributions (a `git` there runs instead). Tied to the breadth probes of kind `startup` by
 * `compile.test.ts`: each entry has a probe, so removing one fails a test.
 */
export const DEFAULT_PROTECTED: readonly string[] = [
  "**/.git/**",
  "**/.hg/hgrc",
  "**/.warden/**",
  // Shells' start-up files (Debian's .bashrc sources .bash_aliases) and readline's key bindings.
  "~/.bashrc",
  "~/.bash_profile",
  "~/.bash_login",
  "~/.bash_logout",
  "~/.bash_aliases",
  "~/.profile",
  "~/.zshrc",
  "~/.zshenv",
  "~/.zprofile",
  "~/.zlogin",
  "~/.zlogout",
  "~/.config/fish/**",
  "~/.inputrc",
  // Login sessions: user services, desktop autostart, cron.
  "~/.config/systemd/user/**",
  "~/.config/autostart/**",
  "~/.config/environment.d/**",
  "~/.pam_environment",
  "/etc/crontab",
  "/etc/cron.d/**",
  "/var/spool/cron/**",
  // Version control: aliases, pagers, hooks, credential helpers, ssh's ProxyCommand, gpg's
  // pinentry-program (run by git commit -S).
  "~/.gitconfig",
  "~/.config/git/**",
  "~/.hgrc",
  "~/.ssh/**",
  "~/.gnupg/**",
  // Directories on PATH before the system's.
  "~/.local/bin/**",
  "~/bin/**",
  "~/.cargo/bin/**",
  // Cloud and cluster clients: programs their configuration runs on every call.
  "~/.kube/config",
  "~/.aws/**",
  "~/.docker/config.json",
  "~/.docker/cli-plugins/**",
  "~/.config/gh/config.yml",
  "~/.config/gcloud/**",
  "~/.terraformrc",
  "~/.terraform.d/**",
  // Network clients: options read on every run (-o, --output-document, logfile, -K).
  "~/.curlrc",
  "~/.config/curlrc",
  "~/.wgetrc",
  // Package managers: the shell scripts run with, the code fetched, the log written.
  "~/.npmrc",
  "~/.yarnrc",
  "~/.yarnrc.yml",
  "~/.config/yarn/**",
  "~/.config/pnpm/rc",
  "~/.config/pip/**",
  "~/.pip/**",
  "~/.pydistutils.cfg",
  "~/.cargo/config",
  "~/.cargo/config.toml",
  "~/.mavenrc",
  "~/.m2/settings.xml",
  "~/.gradle/init.gradle",
  "~/.gradle/init.gradle.kts",
  "~/.gradle/init.d/**",
  "~/.gradle/gradle.properties",
  // Interpreters and their prompts: code run at every start.
  "~/.local/lib/python*/site-packages/*.pth",
  "~/.local/lib/python*/site-packages/usercustomize.py",
  "~/.ipython/*/startup/**",
  "~/.Rprofile",
  "~/.irbrc",
  "~/.mongoshrc.js",
  // Clients' start-up commands: \! in psql, .shell in sqlite3, shell in gdb, lesskey's #env.
  "~/.psqlrc*",
  "~/.sqliterc",
  "~/.gdbinit",
  "~/.config/gdb/**",
  "~/.lesskey",
  "~/.config/lesskey",
  // Editors (git commit opens one): start-up files run commands.
  "~/.vimrc",
  "~/.vim/**",
  "~/.exrc",
  "~/.config/nvim/**",
  "~/.emacs",
  "~/.emacs.d/**",
];
const internalsOf = new WeakMap<CompiledPolicy, PolicyInternals>();

/** The engine's view of a compiled policy. */
export function policyInternals(policy: CompiledPolicy): PolicyInternals {
  const internals = internalsOf.get(policy);
  if (!internals) throw new TypeError("not a policy returned by compilePolicy()");
  return internals;
}

/** A source as made by `policySource` or `parsePolicyText`; anything else is a document. */
function asSource(value: PolicySource | PolicyDocument, tier: Tier): SourceParts {
  if (isPolicySource(value)) return value;
  if (typeof value === "object" && value !== null && Object.hasOwn(value, "document")) {
    throw new PolicyError(
      "invalid_document",
      "`document` is not a policy key: to name a document's file, pass policySource(document, { file })",
      { tier, path: "document" },
    );
  }
  return { document: value as PolicyDocument };
}

/** What compiling reads of a source; a bare document is a source without a file. */
type SourceParts = Pick<PolicySource, "document" | "file" | "locate" | "locatePath">;

/** Validates a document against the schema; a fault becomes a located `invalid_document` error. */
export function parseDocument(
  document: unknown,
  location: PolicyErrorLocation = {},
): ParsedPolicyDocument {
  const result = PolicyDocumentSchema.safeParse(document);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.filter((key) => typeof key !== "symbol"),
    message: issue.message,
  }));
  const issue = result.error.issues[0]!;
  throw new PolicyError(
    "invalid_document",
    describeIssue(issue),
    {
      ...location,
      path: issue.path.join("."),
      ...(issue.path[0] === "rules" && typeof issue.path[1] === "number"
        ? { rule: issue.path[1] }
        : {}),
    },
    issues,
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return `${where}${issue.message}`;
}

/**
 * Compiles the tiers into one policy. Throws a located `PolicyError` for any fault: a document
 * that does not validate, a pattern that does not parse, a regex or glob that does not compile,
 * a forbidden mode, or an inline example that does not hold.
 * @example compilePolicy({ project: { rules: [{ tool: "Bash(npm *)", behavior: "allow" }] } })
 */
export function compilePolicy(tiers: PolicyTiers): CompiledPolicy {
  return compileTiers(tiers, true);
}

/** `compilePolicy`, optionally without the rule index (tests compare the two). */
export function compileTiers(tiers: PolicyTiers, indexed: boolean): CompiledPolicy {
  const documents: Partial<Record<Tier, ParsedPolicyDocument>> = {};
  const sources: Partial<Record<Tier, SourceParts>> = {};
  for (const tier of TIERS) {
    const value = tiers[tier];
    if (!value) continue;
    const source = asSource(value, tier);
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
  const internals = buildInternals(ranked, tools, settings, indexed);
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
  source: SourceParts;
  rank: number;
}

function compileRule(
  entry: RuleEntry,
  { tier, index, origin, source, rank }: RuleOrigin,
): InternalRule {
  try {
    const pattern = parsePattern(entry.tool);
    const { tool, args } = compilePattern(pattern, entry.tool);
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
    const verb =
      entry.behavior === "allow"
        ? "Allowed"
        : entry.behavior === "deny"
          ? "Denied"
          : "Needs approval";
    return {
      public: rule,
      tool,
      args,
      exactTool,
      rank,
      requirements: requirementsOf(pattern.args),
      message: entry.message ?? `${verb} by rule ${entry.tool} (${tier} tier).`,
      usesHome: usesHome(pattern),
    };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const position =
      origin === "rule"
        ? patternPosition(source, index, error.location.patternColumn ?? 1)
        : undefined;
    throw error.locate({
      tier,
      rule: index,
      ...(source.file ? { file: source.file } : {}),
      ...(position ? { line: position.line, column: position.column } : {}),
    });
  }
}

function usesHome(pattern: Pattern): boolean {
  const { args } = pattern;
  const globs =
    args.kind === "primary"
      ? [args.glob]
      : args.kind === "fields"
        ? args.conditions.filter((c) => !c.op.endsWith("=~")).map((c) => c.value)
        : [];
  return globs.some((glob) => pathGlobForm(normalizeGlobPath(glob)) === "tilde");
}

/** Where a character of a rule's pattern is in the file (`patternColumn` is 1-based). */
function patternPosition(
  source: SourceParts,
  index: number,
  patternColumn: number,
): SourcePosition | undefined {
  const mapped = source.locatePath?.(["rules", index, "tool"], patternColumn - 1);
  if (mapped) return mapped;
  const start = source.locate?.(index);
  return start && { line: start.line, column: start.column + patternColumn - 1 };
}

function mergeSettings(
  documents: Partial<Record<Tier, ParsedPolicyDocument>>,
  sources: Partial<Record<Tier, SourceParts>>,
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
    const source = setter ? sources[setter] : undefined;
    throw new PolicyError("mode_forbidden", `mode ${mode} is forbidden by the ${forbidder} tier`, {
      ...(setter ? { tier: setter } : {}),
      path: "mode",
      ...(source?.file ? { file: source.file } : {}),
      ...source?.locatePath?.(["mode"]),
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
  indexed: boolean,
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
  const indexCache = new Map<string, ToolIndex<InternalRule>>();
  const specCache = new Map<string, ResolvedToolSpec>();
  const frozenTools = deepFreeze(structuredClone(tools));
  const spec = (toolName: string): ResolvedToolSpec => {
    let resolved = specCache.get(toolName);
    if (!resolved) {
      if (specCache.size >= CACHE_LIMIT) specCache.clear();
      resolved = resolveTool(toolName, frozenTools);
      specCache.set(toolName, resolved);
    }
    return resolved;
  };
  return {
    rules,
    tools: frozenTools,
    protectedPaths: compileProtected(settings.protectedPaths),
    spec,
    index(toolName) {
      let index = indexCache.get(toolName);
      if (!index) {
        if (indexCache.size >= CACHE_LIMIT) indexCache.clear();
        const exact = byExact.get(toolName) ?? [];
        const matching = wildcard.filter((rule) => rule.tool(toolName));
        const all = [...exact, ...matching].sort((a, b) => a.rank - b.rank);
        index = buildToolIndex(all, spec(toolName), indexed);
        indexCache.set(toolName, index);
      }
      return index;
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
