import { UserError } from "rivetkit";
import type { WardenErrorCode } from "./protocol.ts";

export type { WardenErrorCode } from "./protocol.ts";

/** A typed failure as data: what a pure module returns instead of throwing. */
export interface Failure {
  readonly code: WardenErrorCode;
  readonly message: string;
  readonly metadata?: Record<string, unknown>;
}

/** Throws a typed error that reaches the client as `{ group: "user", code, message, metadata }`. */
export function fail(
  code: WardenErrorCode,
  message: string,
  metadata?: Record<string, unknown>,
): never {
  throw new UserError(message, { code, ...(metadata ? { metadata } : {}) });
}

/** Throws a failure returned by a pure module. */
export function raise(failure: Failure): never {
  return fail(failure.code, failure.message, failure.metadata);
}
