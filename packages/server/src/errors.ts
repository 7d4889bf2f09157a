import { UserError } from "rivetkit";
import type { WardenErrorCode } from "./protocol.ts";

export type { WardenErrorCode } from "./protocol.ts";

/** Throws a typed error that reaches the client as `{ group: "user", code, message, metadata }`. */
export function fail(
  code: WardenErrorCode,
  message: string,
  metadata?: Record<string, unknown>,
): never {
  throw new UserError(message, { code, ...(metadata ? { metadata } : {}) });
}
