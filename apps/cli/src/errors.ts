/** Every error code the CLI itself raises; policy faults keep the engine's `PolicyErrorCode`. */
export type CliErrorCode =
  | "unknown_command"
  | "invalid_option"
  | "missing_option"
  | "invalid_json"
  | "invalid_input"
  | "unreadable_file"
  | "not_a_terminal"
  | "unauthorized"
  | "forbidden"
  | "unavailable"
  | "internal_error";

/** Process exit codes: success, a broken policy or failed lint, and a usage mistake. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const USAGE_CODES: ReadonlySet<CliErrorCode> = new Set([
  "unknown_command",
  "invalid_option",
  "missing_option",
  "invalid_json",
  "invalid_input",
  "not_a_terminal",
]);

/** A fault in how the CLI was called or in what it was given to read. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  /** The exit code this error ends the process with: 2 for usage mistakes, 1 otherwise. */
  get exitCode(): number {
    return USAGE_CODES.has(this.code) ? EXIT.usage : EXIT.failure;
  }
}
