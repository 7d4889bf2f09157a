import { z } from "zod";

/** What a rule, or the policy's default, does with a call. */
export const BehaviorSchema = z.enum(["allow", "ask", "deny"]);
export type Behavior = z.infer<typeof BehaviorSchema>;

/** `deny-allow-ask` (awaken's firewall order) or `deny-ask-allow` (Claude Code's). Deny wins in both. */
export const PrecedenceSchema = z.enum(["deny-allow-ask", "deny-ask-allow"]);
export type Precedence = z.infer<typeof PrecedenceSchema>;

/** Permission modes, with Claude Code's names. */
export const ModeSchema = z.enum([
  "default",
  "acceptEdits",
  "plan",
  "dontAsk",
  "bypassPermissions",
]);
export type Mode = z.infer<typeof ModeSchema>;

/** The three tiers, from the broadest to the most specific. */
export const TierSchema = z.enum(["global", "project", "session"]);
export type Tier = z.infer<typeof TierSchema>;

/** What kind of effect a tool has; modes and capabilities act on kinds. */
export const ToolKindSchema = z.enum(["read", "write", "execute", "code", "web", "other"]);
export type ToolKind = z.infer<typeof ToolKindSchema>;

/** A call used in a rule's inline examples: a tool and its input, or just the primary argument. */
export const ExampleCallSchema = z.union([
  z.string().describe("The primary argument, for a rule on one exact tool (e.g. `npm test`)."),
  z.strictObject({
    tool: z.string().min(1).optional(),
    input: z.record(z.string(), z.unknown()),
    cwd: z.string().optional(),
  }),
]);
export type ExampleCall = z.infer<typeof ExampleCallSchema>;

/** One rule: awaken's `{ tool, behavior, scope }` plus a message and inline examples. */
export const RuleEntrySchema = z.strictObject({
  tool: z.string().min(1).describe('A pattern: `Bash(npm *)`, `Edit(file_path ~ "src/**")`, …'),
  behavior: BehaviorSchema,
  scope: z
    .enum(["once", "session", "thread", "project", "user", "global"])
    .optional()
    .describe("awaken's lifetime hint; kept for compatibility and shown in explanations."),
  message: z.string().max(2000).optional().describe("Returned to the agent when this rule denies."),
  examples: z
    .strictObject({
      match: z.array(ExampleCallSchema).optional(),
      not_match: z.array(ExampleCallSchema).optional(),
    })
    .optional()
    .describe("Calls that must (match) or must not (not_match) match this rule; checked at load."),
});
export type RuleEntry = z.infer<typeof RuleEntrySchema>;

/** Capability toggles from the R SDK; each compiles into ordinary rules that `explain` shows. */
export const CapabilitiesSchema = z.strictObject({
  file_read: z.boolean().optional(),
  file_write: z.union([z.boolean(), z.string().min(1)]).optional(),
  bash: z.boolean().optional(),
  code_execution: z.boolean().optional(),
  web: z.boolean().optional(),
  install_packages: z.boolean().optional(),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/** How a tool's input is read: its primary argument, its path fields and its kind. */
export const ToolSpecSchema = z.strictObject({
  primary: z.string().min(1).optional(),
  paths: z.array(z.string().min(1)).optional(),
  kind: ToolKindSchema.optional(),
  shell: z.boolean().optional().describe("The primary argument is a shell command line."),
});
export type ToolSpec = z.infer<typeof ToolSpecSchema>;

/** A policy document: an awaken rules file, optionally with Warden's extensions. */
export const PolicyDocumentSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).optional(),
  default_behavior: BehaviorSchema.optional().describe("When no rule matches. Default: ask."),
  precedence: PrecedenceSchema.optional(),
  mode: ModeSchema.optional(),
  forbid_modes: z
    .array(ModeSchema)
    .optional()
    .describe("Modes no tier may use while this document is in force."),
  capabilities: CapabilitiesSchema.optional(),
  budgets: z
    .strictObject({
      max_turns: z.number().int().nonnegative().optional(),
      max_cost_usd: z.number().nonnegative().optional(),
    })
    .optional(),
  ask: z
    .strictObject({
      timeout_seconds: z
        .number()
        .positive()
        .max(7 * 24 * 3600)
        .optional(),
      on_timeout: z.literal("reject").optional().describe("Asks always fail closed."),
      timeout_message: z.string().max(2000).optional(),
    })
    .optional(),
  tools: z.record(z.string().min(1), ToolSpecSchema).optional(),
  protected_paths: z.array(z.string().min(1)).optional(),
  rules: z.array(RuleEntrySchema).default([]),
});
export type PolicyDocument = z.input<typeof PolicyDocumentSchema>;
export type ParsedPolicyDocument = z.output<typeof PolicyDocumentSchema>;

/** A tool call as the engine sees it. */
export const ToolCallSchema = z.strictObject({
  toolName: z.string().min(1).max(256),
  input: z.record(z.string(), z.unknown()),
  cost: z.number().nonnegative().optional(),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

/** What the engine knows of the session a call belongs to. */
export const EvaluationContextSchema = z.strictObject({
  cwd: z.string().optional(),
  home: z.string().optional(),
  usage: z
    .strictObject({
      turns: z.number().int().nonnegative().optional(),
      costUsd: z.number().nonnegative().optional(),
    })
    .optional(),
});
export type EvaluationContext = z.infer<typeof EvaluationContextSchema>;
