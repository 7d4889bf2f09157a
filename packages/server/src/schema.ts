import { BehaviorSchema, ModeSchema } from "@warden/rules";
import { z } from "zod";
import { fail } from "./errors.ts";
import { ID_PATTERN, MAX_ID_LENGTH } from "./protocol.ts";

/** Identifiers: keys of actors, ids of requests. */
export const IdSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(ID_PATTERN, "may contain letters, digits and _ . : @ / - only")
  // Ids index plain objects in places: `__proto__`, `constructor`, … would read or set the prototype.
  .refine((id) => !(id in Object.prototype), "is a reserved name");

/** Connection parameters: the caller's token. */
export const ConnParamsSchema = z.object({ token: z.string().min(1).max(4096) });
export type ConnParams = z.infer<typeof ConnParamsSchema>;

/** Bytes of JSON an input may take. */
export const MAX_INPUT_BYTES = 64 * 1024;

/** The transport limit for one message: above the input limit, so inputs get the typed error. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** Levels of nesting an input may have; deeper ones are refused before anything walks them. */
export const MAX_INPUT_DEPTH = 32;

/** Whether a value nests deeper than `limit` arrays or objects; iterative, and stops at the limit. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

const InputSchema = z
  .record(z.string(), z.unknown())
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
  toolName: z.string().min(1).max(256),
  input: InputSchema,
  action: z.string().max(2000).optional(),
  details: z.string().max(10_000).optional(),
  cost: z.number().nonnegative().max(1e6).optional(),
  /** How long to wait for a human before answering `pending` (ms). */
  waitMs: z.number().int().min(0).max(50_000).optional(),
});
export type RequestPermissionInput = z.input<typeof RequestPermissionSchema>;

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

/** Parses external input, or fails with `invalid_input` naming the field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return fail("invalid_input", `${what}: ${path}${issue.message}`, { path: issue.path.join(".") });
}
