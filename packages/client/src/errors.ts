import { isWardenErrorCode, type WardenErrorCode } from "@warden/server/protocol";

/**
 * Every code a Warden call can fail with (the server's, and the SDK's own: `invalid_answer` is an
 * answer that is not a decision); check `error.code`, never `instanceof`.
 */
export type WardenClientErrorCode = WardenErrorCode | "aborted" | "unavailable" | "invalid_answer";

/** An error from Warden, typed by code; `metadata` carries details (e.g. the outcome of `already_resolved`). */
export class WardenError extends Error {
  override readonly name = "WardenError";
  constructor(
    readonly code: WardenClientErrorCode,
    message: string,
    readonly metadata?: unknown,
  ) {
    super(message);
  }
}

/** Whether a failure is worth retrying: the server restarting, the connection dropping. */
export function isTransient(error: unknown): boolean {
  if (error instanceof WardenError) return error.code === "unavailable";
  const e = error as { group?: string; code?: string; name?: string } | undefined;
  if (e?.group === "user") return false;
  if (e?.group === "message" || (e?.group === "actor" && e.code === "validation_error"))
    return false;
  return true;
}

/** Converts what a RivetKit call threw into a `WardenError`. */
export function toWardenError(error: unknown): WardenError {
  if (error instanceof WardenError) return error;
  const e = error as
    | { group?: string; code?: string; message?: string; metadata?: unknown }
    | undefined;
  if (e?.group === "user" && e.code && isWardenErrorCode(e.code)) {
    return new WardenError(e.code, e.message ?? e.code, e.metadata);
  }
  if (e?.group === "message" || (e?.group === "actor" && e.code === "validation_error")) {
    return new WardenError("invalid_input", e.message ?? "invalid input", e.metadata);
  }
  return new WardenError("unavailable", e?.message ?? String(error), e);
}
