import {
  type Behavior,
  EvaluationContextSchema,
  evaluate,
  PolicyError,
  ToolCallSchema,
} from "@warden/rules";
import { z } from "zod";
import type { PolicyCache } from "./policy-cache.ts";

const IdSchema = z.union([z.string(), z.number(), z.null()]);

/** One input line of `eval --jsonl`: a policy document, a call and its optional context. */
export const EvalLineSchema = z.object({
  id: IdSchema.default(null),
  policy: z.record(z.string(), z.unknown()),
  tool: ToolCallSchema.shape.toolName,
  input: ToolCallSchema.shape.input,
  context: EvaluationContextSchema.optional(),
});
export type EvalLine = z.infer<typeof EvalLineSchema>;

type Id = z.infer<typeof IdSchema>;

/** One output line of `eval --jsonl`: the decision and the deciding rule's pattern, or an error. */
export type EvalResult =
  | { readonly id: Id; readonly decision: Behavior; readonly rule: string | null }
  | { readonly id: Id; readonly error: { readonly code: string; readonly message: string } };

const failure = (id: Id, code: string, message: string): EvalResult => ({
  id,
  error: { code, message },
});

function idOf(value: unknown): Id {
  if (typeof value !== "object" || value === null) return null;
  const parsed = IdSchema.safeParse((value as { id?: unknown }).id);
  return parsed.success ? parsed.data : null;
}

/** Answers one line of text; never throws for a bad line, a bad policy or a bad call. */
export function evaluateLine(text: string, lineNumber: number, cache: PolicyCache): EvalResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return failure(null, "invalid_json", `line ${lineNumber}: ${(error as Error).message}`);
  }
  const parsed = EvalLineSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return failure(idOf(value), "invalid_input", `line ${lineNumber}: ${where}${issue.message}`);
  }
  const { id, policy: document, tool, input, context } = parsed.data;
  try {
    const policy = cache.compile(document);
    const decision = evaluate(policy, { toolName: tool, input }, context ?? {});
    return { id, decision: decision.decision, rule: decision.rule?.pattern ?? null };
  } catch (error) {
    if (error instanceof PolicyError) return failure(id, error.code, error.message);
    return failure(id, "internal_error", `line ${lineNumber}: ${(error as Error).message}`);
  }
}
