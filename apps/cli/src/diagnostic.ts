import { PolicyError } from "@warden/rules";

/** One finding of `lint`, located in its file. */
export interface Diagnostic {
  readonly severity: "error" | "warning";
  /** An engine error code (`invalid_pattern`), or `breadth:<code>` for a breadth warning. */
  readonly code: string;
  readonly message: string;
  /** The file, when the finding belongs to one. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Index of the rule in its file's `rules`, when the finding is about one rule. */
  readonly rule?: number;
}

/**
 * Turns a policy fault into an error diagnostic; anything but a `PolicyError` is rethrown.
 * `rule` overrides the error's rule index; `null` says the fault is about no written rule.
 */
export function diagnoseError(
  error: unknown,
  file = error instanceof PolicyError ? error.location.file : undefined,
  rule?: number | null,
): Diagnostic {
  if (!(error instanceof PolicyError)) throw error;
  const { line, column } = error.location;
  const index = rule === undefined ? error.location.rule : (rule ?? undefined);
  return {
    severity: "error",
    code: error.code,
    message: index !== undefined ? `rule ${index}: ${error.detail}` : error.detail,
    ...(file !== undefined ? { file } : {}),
    ...(line !== undefined ? { line } : {}),
    ...(line !== undefined && column !== undefined ? { column } : {}),
    ...(index !== undefined ? { rule: index } : {}),
  };
}

/** Renders a diagnostic as `file:line:col: severity[code]: message`. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const { file, line, column, severity, code, message } = diagnostic;
  let where = file === undefined ? "" : file;
  if (file !== undefined && line !== undefined) where += `:${line}`;
  if (file !== undefined && line !== undefined && column !== undefined) where += `:${column}`;
  return `${where === "" ? "" : `${where}: `}${severity}[${code}]: ${message}`;
}

/** Orders diagnostics by position, file-level findings first. */
export function byPosition(a: Diagnostic, b: Diagnostic): number {
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}
