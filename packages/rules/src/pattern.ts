import { PolicyError, type PolicyErrorCode } from "./errors.ts";

/** How a pattern names tools: exactly, by glob (`mcp__github__*`) or by regex (`/mcp__(gh|gl)__.*\/`). */
export type ToolSelector =
  | { readonly kind: "exact"; readonly name: string }
  | { readonly kind: "glob"; readonly glob: string }
  | { readonly kind: "regex"; readonly source: string };

/** A comparison operator inside `Tool(field OP "value")`. */
export type FieldOperator = "~" | "=" | "=~" | "!~" | "!=" | "!=~";

/** One step of a field path: `a`, `[0]`, `[*]` or `*` (any key). */
export type PathSegment =
  | { readonly kind: "key"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "any_index" }
  | { readonly kind: "any_key" };

/** `field OP "value"`; several conditions in one pattern must all hold. */
export interface FieldCondition {
  readonly path: readonly PathSegment[];
  readonly op: FieldOperator;
  readonly value: string;
  /** 1-based column of the condition in the pattern text. */
  readonly column: number;
}

/** What a pattern requires of a call's input. */
export type ArgumentSelector =
  | { readonly kind: "any" }
  | { readonly kind: "primary"; readonly glob: string; readonly column: number }
  | { readonly kind: "fields"; readonly conditions: readonly FieldCondition[] };

/** A parsed permission pattern such as `Bash(npm *)` or `Edit(file_path ~ "src/**")`. */
export interface Pattern {
  readonly tool: ToolSelector;
  readonly args: ArgumentSelector;
}

const OPERATORS: readonly FieldOperator[] = ["!=~", "!=", "!~", "=~", "~", "="];
const IDENT = /^[\p{L}\p{N}_-]$/u;

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }
  rest(): string {
    return this.text.slice(this.pos);
  }
  skipSpace(): void {
    while (!this.done && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  fail(message: string, at = this.pos, code: PolicyErrorCode = "invalid_pattern"): never {
    throw new PolicyError(code, message, { patternColumn: at + 1 });
  }
}

/**
 * Parses a pattern in awaken's grammar; throws a `PolicyError` with the column of the fault.
 * @example parsePattern('Edit(file_path ~ "src/**")')
 */
export function parsePattern(text: string): Pattern {
  const cursor = new Cursor(text);
  cursor.skipSpace();
  if (cursor.done) cursor.fail("empty pattern");
  const tool = parseTool(cursor);
  cursor.skipSpace();
  let args: ArgumentSelector = { kind: "any" };
  if (cursor.peek() === "(") {
    const open = cursor.pos;
    cursor.pos++;
    args = parseArguments(cursor);
    cursor.skipSpace();
    if (cursor.peek() !== ")") cursor.fail(`expected ')' to close '(' at column ${open + 1}`);
    cursor.pos++;
  }
  cursor.skipSpace();
  if (!cursor.done) cursor.fail(`unexpected '${cursor.rest()}' after the pattern`);
  return { tool, args };
}

function parseTool(cursor: Cursor): ToolSelector {
  if (cursor.peek() === "/") {
    const start = cursor.pos;
    cursor.pos++;
    let source = "";
    let depth = 0;
    let inClass = false;
    while (!cursor.done) {
      const c = cursor.peek()!;
      if (c === "\\") {
        const next = cursor.peek(1);
        if (next === undefined) cursor.fail("unterminated escape in tool regex");
        source += next === "/" ? "/" : c + next;
        cursor.pos += 2;
        continue;
      }
      if (c === "[") inClass = true;
      else if (c === "]") inClass = false;
      else if (c === "(" && !inClass) depth++;
      else if (c === ")" && !inClass) depth = Math.max(0, depth - 1);
      else if (c === "/" && depth === 0 && !inClass) break;
      source += c;
      cursor.pos++;
    }
    if (cursor.peek() !== "/")
      cursor.fail("unterminated tool regex: expected a closing '/'", start);
    cursor.pos++;
    if (source === "") cursor.fail("empty tool regex", start);
    return { kind: "regex", source };
  }
  const start = cursor.pos;
  while (!cursor.done && cursor.peek() !== "(" && !/\s/.test(cursor.peek()!)) {
    if (cursor.peek() === ")") cursor.fail("unexpected ')' in tool name");
    cursor.pos++;
  }
  const name = cursor.text.slice(start, cursor.pos);
  if (name === "") cursor.fail("expected a tool name");
  return /[*?[{]/.test(name) ? { kind: "glob", glob: name } : { kind: "exact", name };
}

function parseArguments(cursor: Cursor): ArgumentSelector {
  cursor.skipSpace();
  if (cursor.peek() === "*") {
    const save = cursor.pos;
    cursor.pos++;
    cursor.skipSpace();
    if (cursor.peek() === ")") return { kind: "any" };
    cursor.pos = save;
  }
  if (readsAsCondition(cursor.text, cursor.pos)) return parseConditions(cursor);
  const unknown = UNKNOWN_OPERATOR.exec(cursor.rest());
  if (unknown) {
    const at = cursor.pos + unknown.index + unknown[0].indexOf(unknown[1]!);
    cursor.fail(
      `unknown operator '${unknown[1]}': expected one of ~ = =~ !~ != !=~`,
      at,
      "unknown_operator",
    );
  }
  return parsePrimary(cursor);
}

const UNKNOWN_OPERATOR =
  /^\s*(?:\*|[\p{L}\p{N}_-]+)(?:\[(?:\*|\d+)\]|\.(?:\*|[\p{L}\p{N}_-]+))*\s*([!=~<>?:%^&|]{1,4})\s*"/u;

/** Characters that end the first word of an argument list (see `readsAsCondition`). */
const HEAD_END = /[\s"'(),=~<>\\]/u;

/** What a field path is made of; a first word with anything else (`https://x?q=1`) is a glob. */
const FIELDISH = /^[\p{L}\p{N}_\-.*[\]]*$/u;

/**
 * Whether an argument list reads as a condition: its first word (possibly empty) is followed,
 * after optional whitespace, by an operator. `~` is an operator unless it starts a home path
 * (`~/…`) or is all that is left (`ls ~`). A first word that cannot be a field path (`a/b`,
 * `https://x?q`) reads as a condition only when the operator is followed by a quote. A backslash
 * in the first word makes it a glob (`FOO\=bar`). Such a list is parsed as conditions, strictly:
 * never read as a glob that matches its own text.
 */
export function readsAsCondition(text: string, from: number): boolean {
  let at = from;
  while (at < text.length && !HEAD_END.test(text[at]!)) {
    if (text[at] === "!" && (text[at + 1] === "=" || text[at + 1] === "~")) break;
    at++;
  }
  if (text[at] === "\\") return false;
  const fieldish = FIELDISH.test(text.slice(from, at));
  while (at < text.length && /\s/u.test(text[at]!)) at++;
  const c = text[at];
  let operator: boolean;
  if (c === "=") operator = true;
  else if (c === "!") operator = text[at + 1] === "=" || text[at + 1] === "~";
  else if (c !== "~" || text[at + 1] === "/") operator = false;
  else operator = !/^~\s*(?:\)|$)/u.test(text.slice(at));
  if (!operator || fieldish) return operator;
  const after = /^[!=~]+\s*(.)/u.exec(text.slice(at))?.[1];
  return after !== undefined && (after === '"' || after === "'" || QUOTE_LIKE.test(after));
}

function parsePrimary(cursor: Cursor): ArgumentSelector {
  cursor.skipSpace();
  const start = cursor.pos;
  let depth = 0;
  while (!cursor.done) {
    const c = cursor.peek()!;
    if (c === "\\" && cursor.peek(1) !== undefined) {
      cursor.pos += 2;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0) break;
      depth--;
    }
    cursor.pos++;
  }
  // Trailing whitespace is not part of the glob, unless escaped (`a\ `).
  let end = cursor.pos;
  while (end > start && /\s/u.test(cursor.text[end - 1]!) && !escapedAt(cursor.text, end - 1))
    end--;
  const glob = cursor.text.slice(start, end);
  if (glob === "")
    cursor.fail("empty argument pattern: write `Tool` or `Tool(*)` to match any input");
  if (cursor.done) cursor.fail("expected ')' to close the argument pattern");
  return { kind: "primary", glob, column: start + 1 };
}

/** Whether the character at `at` is escaped by an odd run of backslashes before it. */
function escapedAt(text: string, at: number): boolean {
  let count = 0;
  while (at - count - 1 >= 0 && text[at - count - 1] === "\\") count++;
  return count % 2 === 1;
}

function parseConditions(cursor: Cursor): ArgumentSelector {
  const conditions: FieldCondition[] = [];
  for (;;) {
    cursor.skipSpace();
    const column = cursor.pos + 1;
    if (OPERATOR_START.test(cursor.peek() ?? "")) {
      cursor.fail(
        `a condition needs a field before '${operatorToken(cursor)}': write field ${operatorToken(cursor)} "value" (for a shell tool, command ~ "…")`,
      );
    }
    const path = parseFieldPathAt(cursor);
    const pathEnd = cursor.pos;
    cursor.skipSpace();
    const token = operatorToken(cursor);
    if (token === "") {
      const c = cursor.peek();
      cursor.fail(
        c === undefined || c === ")" || c === ","
          ? `expected an operator after '${printFieldPath(path)}': one of ~ = =~ !~ != !=~`
          : `'${c}' cannot appear in a field path: field names are letters, digits, '_' and '-', joined by '.', '[N]' or '[*]'`,
        c === undefined || /\s/u.test(cursor.text[pathEnd] ?? "") ? cursor.pos : pathEnd,
      );
    }
    const op = OPERATORS.find((candidate) => candidate === token);
    if (!op) {
      cursor.fail(
        `unknown operator '${token}': expected one of ~ = =~ !~ != !=~`,
        cursor.pos,
        "unknown_operator",
      );
    }
    cursor.pos += op.length;
    cursor.skipSpace();
    const value = parseValue(cursor, printFieldPath(path), op);
    conditions.push({ path, op, value, column });
    cursor.skipSpace();
    if (cursor.peek() !== ",") break;
    cursor.pos++;
  }
  return { kind: "fields", conditions };
}

const OPERATOR_START = /^[=~!]$/u;

function operatorToken(cursor: Cursor): string {
  return /^[!=~<>?:%^&|]*/u.exec(cursor.rest())![0];
}

/** A condition's value: double-quoted. A single-quoted or bare value is an error with the fix. */
function parseValue(cursor: Cursor, field: string, op: FieldOperator): string {
  const c = cursor.peek();
  if (c === '"') return parseQuoted(cursor);
  if (c === "'") {
    const close = cursor.text.indexOf("'", cursor.pos + 1);
    const inner = cursor.text.slice(cursor.pos + 1, close < 0 ? undefined : close);
    cursor.fail(
      `single quotes do not quote a value; use double quotes: ${field} ${op} ${quoteValue(inner)}`,
    );
  }
  const close = cursor.text.lastIndexOf(")");
  const rest = cursor.text.slice(cursor.pos, close >= cursor.pos ? close : undefined);
  const bare = (/^[^,]*/u.exec(rest)?.[0] ?? "").trim();
  if (QUOTE_LIKE.test(bare)) {
    const inner = bare.replace(/^[\p{Pi}\p{Pf}"'`´„‚]+|[\p{Pi}\p{Pf}"'`´„‚]+$/gu, "");
    cursor.fail(
      `'${bare[0]}' does not quote a value; use double quotes: ${field} ${op} ${quoteValue(inner)}`,
    );
  }
  cursor.fail(
    bare === ""
      ? `expected a value in double quotes after '${op}'`
      : `the value is not quoted; use double quotes: ${field} ${op} ${quoteValue(bare)} (or, for a glob with a literal '${op[0]}', escape it: \\${op[0]})`,
  );
}

/** Typographic quotes and backticks, which are easy to paste and never quote a value. */
const QUOTE_LIKE = /^[\p{Pi}\p{Pf}`´„‚]/u;

const quoteValue = (value: string) => `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

function parseFieldPathAt(cursor: Cursor): PathSegment[] {
  const segments: PathSegment[] = [];
  for (;;) {
    if (cursor.peek() === "*") {
      cursor.pos++;
      segments.push({ kind: "any_key" });
    } else {
      const start = cursor.pos;
      while (!cursor.done && IDENT.test(cursor.peek()!)) cursor.pos++;
      if (cursor.pos === start) cursor.fail("expected a field name");
      segments.push({ kind: "key", name: cursor.text.slice(start, cursor.pos) });
    }
    while (cursor.peek() === "[") {
      cursor.pos++;
      if (cursor.peek() === "*") {
        cursor.pos++;
        segments.push({ kind: "any_index" });
      } else {
        const start = cursor.pos;
        while (!cursor.done && /\d/.test(cursor.peek()!)) cursor.pos++;
        if (cursor.pos === start) cursor.fail("expected an index or '*' inside '[ ]'");
        segments.push({ kind: "index", index: Number(cursor.text.slice(start, cursor.pos)) });
      }
      if (cursor.peek() !== "]") cursor.fail("expected ']'");
      cursor.pos++;
    }
    if (cursor.peek() !== ".") return segments;
    cursor.pos++;
  }
}

function parseQuoted(cursor: Cursor): string {
  if (cursor.peek() !== '"') cursor.fail("expected a value in double quotes");
  const start = cursor.pos;
  cursor.pos++;
  let value = "";
  while (!cursor.done) {
    const c = cursor.peek()!;
    if (c === '"') {
      cursor.pos++;
      return value;
    }
    if (c === "\\") {
      const next = cursor.peek(1);
      if (next === undefined) break;
      value += next === '"' || next === "\\" ? next : c + next;
      cursor.pos += 2;
      continue;
    }
    value += c;
    cursor.pos++;
  }
  return cursor.fail("unterminated string: expected a closing '\"'", start);
}

const fieldPathCache = new Map<string, readonly PathSegment[]>();

/** Parses a field path such as `edits[*].file_path` (cached; throws `invalid_pattern`). */
export function parseFieldPath(text: string): readonly PathSegment[] {
  let path = fieldPathCache.get(text);
  if (!path) {
    const cursor = new Cursor(text);
    path = parseFieldPathAt(cursor);
    if (!cursor.done) cursor.fail(`unexpected '${cursor.rest()}' in field path`);
    if (fieldPathCache.size > 1024) fieldPathCache.clear();
    fieldPathCache.set(text, path);
  }
  return path;
}

/** Prints a pattern in canonical form; `parsePattern(printPattern(p))` equals `p` up to columns. */
export function printPattern(pattern: Pattern): string {
  const tool =
    pattern.tool.kind === "exact"
      ? pattern.tool.name
      : pattern.tool.kind === "glob"
        ? pattern.tool.glob
        : `/${pattern.tool.source.replaceAll("/", "\\/")}/`;
  const args = pattern.args;
  if (args.kind === "any") return tool;
  if (args.kind === "primary") return `${tool}(${args.glob})`;
  const conditions = args.conditions.map(
    (condition) =>
      `${printFieldPath(condition.path)} ${condition.op} "${condition.value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`,
  );
  return `${tool}(${conditions.join(", ")})`;
}

/** Prints a field path as written in patterns: `edits[*].file_path`. */
export function printFieldPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (segment.kind === "key") out += (out === "" ? "" : ".") + segment.name;
    else if (segment.kind === "any_key") out += out === "" ? "*" : ".*";
    else if (segment.kind === "index") out += `[${segment.index}]`;
    else out += "[*]";
  }
  return out;
}
