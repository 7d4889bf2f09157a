import type { PolicyDocument } from "./schema.ts";

/** A 1-based line and column in a policy file. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

const BRAND: unique symbol = Symbol("@warden/rules policy source");

/**
 * Where a document came from, so that errors and decisions can name it. Made by
 * `parsePolicyText` or `policySource`: a plain object is always a document, never a source.
 */
export interface PolicySource {
  readonly [BRAND]: true;
  readonly document: PolicyDocument;
  /** File name shown in errors and decisions. */
  readonly file?: string;
  /** Maps a rule index to the line and column of its pattern's first character in the file. */
  readonly locate?: (ruleIndex: number) => SourcePosition | undefined;
  /**
   * Maps a path in the document (`["rules", 3, "examples", "match", 0]`) to the position of its
   * value; with `offset`, to the position of that character of a string value.
   */
  readonly locatePath?: (
    path: readonly (string | number)[],
    offset?: number,
  ) => SourcePosition | undefined;
}

/** What `policySource` attaches to a document. */
export type PolicySourceOptions = Partial<Pick<PolicySource, "file" | "locate" | "locatePath">>;

/**
 * Names a document's origin for errors and decisions.
 * @example compilePolicy({ project: policySource(document, { file: "warden.yaml" }) })
 */
export function policySource(
  document: PolicyDocument,
  options: PolicySourceOptions = {},
): PolicySource {
  return {
    [BRAND]: true,
    document,
    ...(options.file !== undefined ? { file: options.file } : {}),
    ...(options.locate ? { locate: options.locate } : {}),
    ...(options.locatePath ? { locatePath: options.locatePath } : {}),
  };
}

/** Whether a value was made by `policySource` or `parsePolicyText` (or spread from one). */
export function isPolicySource(value: unknown): value is PolicySource {
  return typeof value === "object" && value !== null && BRAND in value && value[BRAND] === true;
}
