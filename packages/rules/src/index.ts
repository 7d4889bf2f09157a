export { assessBreadth, type BreadthCode, type BreadthWarning } from "./breadth.ts";
export {
  type CompiledPolicy,
  type CompiledRule,
  compilePolicy,
  type PolicySettings,
  type PolicyTiers,
  parseDocument,
} from "./compile.ts";
export {
  PolicyError,
  type PolicyErrorCode,
  type PolicyErrorLocation,
  type PolicyIssue,
} from "./errors.ts";
export { type Decision, type DecisionReason, evaluate } from "./evaluate.ts";
export { type Explanation, explain, formatExplanation, type RuleTrace } from "./explain.ts";
export { type LoadOptions, parsePolicyText } from "./load.ts";
export { type NormalizedPath, normalizePath, normalizeSegments, type PathContext } from "./path.ts";
export { type Pattern, parsePattern, printPattern } from "./pattern.ts";
export { lintPattern, type PatternWarning } from "./pattern-lint.ts";
export {
  type Behavior,
  BehaviorSchema,
  type EvaluationContext,
  EvaluationContextSchema,
  type Mode,
  ModeSchema,
  type ParsedPolicyDocument,
  type PolicyDocument,
  PolicyDocumentSchema,
  type Precedence,
  type RuleEntry,
  RuleEntrySchema,
  type Tier,
  TierSchema,
  type ToolCall,
  ToolCallSchema,
} from "./schema.ts";
export { analyzeShell, type ShellAnalysis, type ShellCommand } from "./shell/index.ts";
export {
  type PolicySource,
  type PolicySourceOptions,
  policySource,
  type SourcePosition,
} from "./source.ts";
export { type RuleSuggestion, suggestRules } from "./suggest.ts";
