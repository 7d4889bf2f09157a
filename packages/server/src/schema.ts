import { BehaviorSchema, ModeSchema } from "@warden/rules";
import { z } from "zod";
import { fail } from "./errors.ts";
import {
  CALL_LIMITS,
  ID_PATTERN,
  isReservedId,
  MAX_ID_LENGTH,
  MAX_INPUT_BYTES,
  MAX_INPUT_DEPTH,
  MAX_LOCAL_BATCH,
  nestsDeeperThan,
  reservedKeyIn,
} from "./protocol.ts";

export { MAX_MESSAGE_BYTES } from "./protocol.ts";

/** Identifiers: keys of actors, ids of requests. */
export const IdSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(ID_PATTERN, "may contain letters, digits and _ . : @ / - only")
  // Ids index plain objects in places: `__proto__`, `constructor`, … would read or set the prototype.
  .refine((id) => !isReservedId(id), "is a reserved name");

/** Connection parameters: the caller's token. */
export const ConnParamsSchema = z.object({ token: z.string().min(1).max(4096) });
export type ConnParams = z.infer<typeof ConnParamsSchema>;

/**
 * A tool input. The reserved-key check runs on the value as received, before `z.record` builds
 * its copy (which would drop a top-level `__proto__`), so a hook or an approver gets the same
 * refusal as a connection (whose arguments `requirePlainArgs` checked already).
 */
const InputSchema = z
  .custom<Record<string, unknown>>()
  .superRefine((value, ctx) => {
    const key = reservedKeyIn(value);
    if (key !== undefined)
      ctx.addIssue({ code: "custom", message: `${key} is not an allowed key` });
  })
  .pipe(z.record(z.string(), z.unknown()))
  .refine((value) => !nestsDeeperThan(value, MAX_INPUT_DEPTH), {
    message: `input nests deeper than ${MAX_INPUT_DEPTH} levels`,
    abort: true,
  })
  .refine((value) => JSON.stringify(value).length <= MAX_INPUT_BYTES, {
    message: `input is larger than ${MAX_INPUT_BYTES} bytes of JSON`,
  });

/** What the agent sends: the Rust SDK's request plus an idempotency key and an optional cost. */
export const RequestPermissionSchema = z.strictObject({
  requestId: IdSchema,
  toolName: z.string().min(1).max(CALL_LIMITS.toolName),
  input: InputSchema,
  action: z.string().max(CALL_LIMITS.action).optional(),
  details: z.string().max(CALL_LIMITS.details).optional(),
  cost: z.number().nonnegative().max(CALL_LIMITS.cost).optional(),
  /** How long to wait for a human before answering `pending` (ms). */
  waitMs: z.number().int().min(0).max(50_000).optional(),
});
export type RequestPermissionInput = z.input<typeof RequestPermissionSchema>;

/** A decision the agent's SDK made locally, reported for the audit log (see `recordLocalDecisions`). */
export const LocalDecisionSchema = RequestPermissionSchema.omit({ waitMs: true }).extend({
  decision: z.enum(["allow", "deny"]),
  /** The version of the policy the SDK decided with. */
  policyVersion: z.string().min(1).max(MAX_ID_LENGTH),
  /** When the SDK decided (ms since the epoch, the agent's clock). */
  decidedAt: z.number().int().nonnegative(),
});
export type LocalDecisionInput = z.input<typeof LocalDecisionSchema>;
export type LocalDecision = z.output<typeof LocalDecisionSchema>;

export const LocalDecisionBatchSchema = z.array(LocalDecisionSchema).min(1).max(MAX_LOCAL_BATCH);

export const ReplySchema = z.enum(["once", "always", "reject"]);

/** Options of a reply. */
export const RespondOptionsSchema = z
  .strictObject({
    updatedInput: InputSchema.optional(),
    message: z.string().max(2000).optional(),
    /** The "always" rule(s) to add instead of the first suggestion. */
    rule: z
      .union([z.string().min(1).max(1000), z.array(z.string().min(1).max(1000)).min(1).max(20)])
      .optional(),
    scope: z.enum(["session", "project"]).optional(),
    /** The client-made id of this reply: its resend gets the same answer, another id does not. */
    replyId: IdSchema.optional(),
  })
  .default({});

/** A reply from an approver or the hook, validated the same way for both. */
export const ReplyInputSchema = z.strictObject({
  reply: ReplySchema,
  options: RespondOptionsSchema,
});
export type RespondOptions = z.input<typeof RespondOptionsSchema>;

/** A rule an admin adds to the session tier. */
export const RuleInputSchema = z.strictObject({
  /** Optional caller-chosen id: sending the same rule with the same id again adds it once. */
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, "letters, digits and _ . : - only, at most 100")
    .optional(),
  tool: z.string().min(1).max(1000),
  behavior: BehaviorSchema,
  message: z.string().max(2000).optional(),
});
export type RuleInput = z.input<typeof RuleInputSchema>;

export const ModeInputSchema = ModeSchema.nullable();

export const HistoryQuerySchema = z
  .strictObject({
    /** Return entries older than this sequence number. */
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .default({});
export type HistoryQuery = z.input<typeof HistoryQuerySchema>;

/**
 * Parses external input, or fails with `invalid_input` naming the field. A reserved key
 * (`RESERVED_KEYS`) anywhere in the value fails too, whatever the schema: zod would drop or
 * follow it, and the value used would not be the one sent.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const key = reservedKeyIn(value);
  if (key !== undefined) fail("invalid_input", `${what}: ${key} is not an allowed key`, { key });
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return fail("invalid_input", `${what}: ${path}${issue.message}`, { path: issue.path.join(".") });
}
