/** Every code a Warden call can fail with; check `error.code`, never `instanceof`. */
export type WardenClientErrorCode =
  | "unauthorized"
  | "forbidden"
  | "invalid_input"
  | "not_found"
  | "wrong_session"
  | "already_resolved"
  | "too_many_pending"
  | "invalid_rule"
  | "mode_forbidden"
  | "policy_unavailable"
  | "aborted"
  | "unavailable";

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

const USER_CODES = new Set<string>([
  "unauthorized",
  "forbidden",
  "invalid_input",
  "not_found",
  "wrong_session",
  "already_resolved",
  "too_many_pending",
  "invalid_rule",
  "mode_forbidden",
  "policy_unavailable",
]);

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
  if (e?.group === "user" && e.code && USER_CODES.has(e.code)) {
    return new WardenError(e.code as WardenClientErrorCode, e.message ?? e.code, e.metadata);
  }
  if (e?.group === "message" || (e?.group === "actor" && e.code === "validation_error")) {
    return new WardenError("invalid_input", e.message ?? "invalid input", e.metadata);
  }
  return new WardenError("unavailable", e?.message ?? String(error), e);
}
