import type { ReplyOptions as ValidReplyOptions } from "./reply-resolution.ts";
import { ReplyInputSchema } from "./schema.ts";
import type { PermissionReply, PermissionRequest, RuleScope } from "./types.ts";

/** Options a hook or an approver may give with a reply. */
export interface ReplyOptions {
  readonly updatedInput?: Record<string, unknown>;
  readonly message?: string;
  readonly rule?: string | readonly string[];
  readonly scope?: RuleScope;
}

/** What the server-side hook receives as `c`: the seed's `respondPermission`, and a deadline. */
export interface PermissionHookContext {
  readonly projectId: string;
  readonly sessionId: string;
  /** Answers the request; only the first answer counts, and only before the deadline. */
  respondPermission(
    sessionId: string,
    permissionId: string,
    reply: PermissionReply,
    options?: ReplyOptions,
  ): Promise<void>;
  /** Aborted when the hook's time budget runs out. */
  readonly signal: AbortSignal;
}

/**
 * The server-side `onPermissionRequest` hook: answer programmatically, or return without
 * answering to leave the request to humans. A hook that throws or overruns its budget leaves
 * the request to humans: it never allows by accident.
 * @example const onPermissionRequest: PermissionHook = async (c, sessionId, request) => { if (process.env.CI) await c.respondPermission(sessionId, request.permissionId, "once") }
 */
export type PermissionHook = (
  c: PermissionHookContext,
  sessionId: string,
  request: PermissionRequest,
) => void | Promise<void>;

/** A hook's answer, validated with the schema of approvers' replies. */
export interface HookAnswer {
  readonly reply: PermissionReply;
  readonly options: ValidReplyOptions;
}

/** Why a hook gave no answer, for the log. */
export type HookOutcome =
  | { readonly kind: "answered"; readonly answer: HookAnswer }
  | { readonly kind: "left_open" }
  /** The hook answered with something an approver could not send (`"deny"`, `undefined`, …). */
  | { readonly kind: "invalid"; readonly error: string }
  | { readonly kind: "failed"; readonly error: string }
  | { readonly kind: "timed_out" };

/** Runs a hook under a time budget; never throws. */
export async function runHook(
  hook: PermissionHook,
  request: PermissionRequest,
  budgetMs: number,
): Promise<HookOutcome> {
  const controller = new AbortController();
  let answer: { reply: unknown; options: unknown } | undefined;
  const context: PermissionHookContext = {
    projectId: request.projectId,
    sessionId: request.sessionId,
    signal: controller.signal,
    async respondPermission(sessionId, permissionId, reply, options) {
      if (controller.signal.aborted || answer) return;
      if (sessionId !== request.sessionId || permissionId !== request.permissionId) {
        throw new Error(
          `the hook may only answer request ${request.permissionId} of session ${request.sessionId}`,
        );
      }
      answer = { reply, options };
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timed_out">((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), budgetMs);
  });
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => hook(context, request.sessionId, structuredClone(request))),
      deadline,
    ]);
    if (result === "timed_out" && !answer) return { kind: "timed_out" };
  } catch (error) {
    if (!answer)
      return { kind: "failed", error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  if (!answer) return { kind: "left_open" };
  const parsed = ReplyInputSchema.safeParse(answer);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "invalid", error: `${issue?.path.join(".") || "reply"}: ${issue?.message}` };
  }
  return { kind: "answered", answer: parsed.data };
}
