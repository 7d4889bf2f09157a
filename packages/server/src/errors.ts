import { UserError } from "rivetkit";

/** Every error code a Warden action can return; clients check `error.code`. */
export type WardenErrorCode =
  | "unauthorized"
  | "forbidden"
  | "invalid_input"
  | "not_found"
  | "wrong_session"
  | "already_resolved"
  | "too_many_pending"
  | "invalid_rule"
  | "mode_forbidden"
  | "policy_unavailable";

/** Throws a typed error that reaches the client as `{ group: "user", code, message, metadata }`. */
export function fail(
  code: WardenErrorCode,
  message: string,
  metadata?: Record<string, unknown>,
): never {
  throw new UserError(message, { code, ...(metadata ? { metadata } : {}) });
}
