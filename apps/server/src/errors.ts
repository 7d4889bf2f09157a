/** Every reason the server refuses to start. */
export type StartErrorCode =
  | "invalid_arguments"
  | "unreadable_file"
  | "invalid_config"
  | "invalid_policy"
  | "unset_env"
  | "no_tokens"
  | "duplicate_token"
  | "weak_token"
  | "invalid_hook"
  | "port_in_use"
  | "engine_refused";

/** A fault in the configuration, its files or the machine; printed on stderr, exit code 1. */
export class StartError extends Error {
  override readonly name = "StartError";
  readonly code: StartErrorCode;

  constructor(code: StartErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
