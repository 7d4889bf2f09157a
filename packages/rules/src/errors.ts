/** Every error code the policy engine can raise. */
export type PolicyErrorCode =
  | "invalid_syntax"
  | "invalid_document"
  | "invalid_pattern"
  | "invalid_regex"
  | "invalid_glob"
  | "unknown_operator"
  | "example_failed"
  | "mode_forbidden";

/** Where in a policy a fault is: the file, the rule's index, and a 1-based line and column. */
export interface PolicyErrorLocation {
  readonly file?: string;
  readonly tier?: string;
  readonly rule?: number;
  /** Line in the file, when the document came from text. */
  readonly line?: number;
  /** Column in the file when known, otherwise in the pattern (1-based). */
  readonly column?: number;
  /** Column inside the rule's pattern string (1-based). */
  readonly patternColumn?: number;
  /** JSON path of the offending value, e.g. `rules.3.tool`. */
  readonly path?: string;
}

/** One schema violation of a document; an `invalid_document` error lists all of them. */
export interface PolicyIssue {
  /** Path of the offending value, e.g. `["rules", 3, "behavior"]`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Position of the offending value, when the document came from text. */
  readonly line?: number;
  readonly column?: number;
}

/** A broken policy: raised at load or compile time, never by `evaluate`. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
  readonly code: PolicyErrorCode;
  readonly location: PolicyErrorLocation;
  /** The message without its location prefix. */
  readonly detail: string;
  /** Every schema violation, for `invalid_document` (the error itself describes the first). */
  readonly issues: readonly PolicyIssue[] | undefined;

  constructor(
    code: PolicyErrorCode,
    detail: string,
    location: PolicyErrorLocation = {},
    issues?: readonly PolicyIssue[],
  ) {
    super(formatLocated(detail, location));
    this.code = code;
    this.detail = detail;
    this.location = location;
    this.issues = issues;
  }

  /** The same error with more location facts (those already set win). */
  locate(more: PolicyErrorLocation): PolicyError {
    return new PolicyError(this.code, this.detail, { ...more, ...this.location }, this.issues);
  }

  /** The same error with these location facts replacing its own. */
  relocate(location: PolicyErrorLocation): PolicyError {
    return new PolicyError(this.code, this.detail, { ...this.location, ...location }, this.issues);
  }
}

function formatLocated(message: string, location: PolicyErrorLocation): string {
  const parts: string[] = [];
  if (location.file) {
    let where = location.file;
    if (location.line !== undefined) where += `:${location.line}`;
    if (location.line !== undefined && location.column !== undefined)
      where += `:${location.column}`;
    parts.push(where);
  }
  if (location.tier && !location.file) parts.push(`${location.tier} tier`);
  if (location.rule !== undefined) parts.push(`rule ${location.rule}`);
  if (location.patternColumn !== undefined) parts.push(`column ${location.patternColumn}`);
  else if (location.column !== undefined && location.line === undefined) {
    parts.push(`column ${location.column}`);
  }
  if (location.path && location.rule === undefined) parts.push(location.path);
  return parts.length > 0 ? `${parts.join(", ")}: ${message}` : message;
}
