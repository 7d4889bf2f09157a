import { PolicyError } from "./errors.ts";
import { compileGlob, compileRegex, globLiteral, type Matcher } from "./glob.ts";
import {
  homeGuesses,
  type NormalizedPath,
  normalizeGlobPath,
  normalizePath,
  type PathContext,
} from "./path.ts";
import type {
  ArgumentSelector,
  FieldCondition,
  FieldOperator,
  PathSegment,
  Pattern,
  ToolSelector,
} from "./pattern.ts";
import { printFieldPath } from "./pattern.ts";
import { PATH_FIELD_NAMES, type ResolvedToolSpec } from "./tools.ts";

/**
 * `some`: one value satisfying the pattern is enough (deny and ask rules: broader is safer).
 * `every`: every value must satisfy it (allow rules: narrower is safer).
 */
export type Quantifier = "some" | "every";

/** A call prepared for matching: its tool spec, context and a memo of normalised paths. */
export interface PreparedCall {
  readonly toolName: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly spec: ResolvedToolSpec;
  readonly context: PathContext;
  /** The last path normalised for this call, and the others (created on first need). */
  lastValue: string | undefined;
  lastPath: NormalizedPath | undefined;
  paths: Map<string, NormalizedPath> | undefined;
}

/** Prepares a call for matching. */
export function prepareCall(
  toolName: string,
  input: Readonly<Record<string, unknown>>,
  spec: ResolvedToolSpec,
  context: PathContext,
): PreparedCall {
  return {
    toolName,
    input,
    spec,
    context,
    lastValue: undefined,
    lastPath: undefined,
    paths: undefined,
  };
}

/** A path value of the call, normalised once per call. */
export function normalized(call: PreparedCall, value: string): NormalizedPath {
  const { lastValue, lastPath } = call;
  if (lastValue === value && lastPath) return lastPath;
  let path = call.paths?.get(value);
  if (!path) {
    path = normalizePath(value, call.context);
    if (lastValue !== undefined && lastPath) {
      call.paths ??= new Map([[lastValue, lastPath]]);
      call.paths.set(value, path);
    }
  }
  call.lastValue = value;
  call.lastPath = path;
  return path;
}

/** Compiles a tool selector to a name test. */
export function compileToolSelector(selector: ToolSelector): Matcher {
  if (selector.kind === "exact") {
    const name = selector.name;
    return (value) => value === name;
  }
  if (selector.kind === "glob") return compileGlob(selector.glob, "text");
  return compileRegex(selector.source);
}

/**
 * A test over a normalised path. `broad` is set where matching more is the safe side (deny and
 * ask rules, protected paths): there a `~` glob also matches under any home-like directory when
 * the session's home is unknown, and `*` also crosses `/` as in awaken's globs.
 */
export type PathMatcher = (path: NormalizedPath, broad?: boolean) => boolean;

/** Which form of a normalised path a tidied path glob is matched against (`anywhere`: all of them). */
export type PathGlobForm = "tilde" | "absolute" | "anywhere" | "relative";

/** The form a path glob (already tidied by `normalizeGlobPath`) is matched against. */
export function pathGlobForm(clean: string): PathGlobForm {
  if (clean === "~" || clean.startsWith("~/")) return "tilde";
  if (clean.startsWith("/")) return "absolute";
  if (clean.startsWith("**")) return "anywhere";
  return "relative";
}

/** Compiles a path glob written in a rule to a test over a normalised path. */
export function compilePathGlob(glob: string): PathMatcher {
  const clean = normalizeGlobPath(glob);
  const matcher = compileGlob(clean, "path");
  const form = pathGlobForm(clean);
  // awaken's reading of the same glob, `*` crossing `/`: deny and ask rules match it too.
  let flatMatcher: Matcher | undefined;
  // Every match ends with the glob's literal tail: a cheap test before the glob's own.
  const tail = /[^*?[\]{}\\]*$/.exec(clean)![0];
  const flat = (text: string) => {
    if (!text.endsWith(tail)) return false;
    flatMatcher ??= compileGlob(clean, "text");
    return flatMatcher(text);
  };
  if (form === "tilde") {
    return (p, broad) => {
      if (p.tilde !== undefined) return matcher(p.tilde) || (broad === true && flat(p.tilde));
      return broad === true && !p.homeKnown && homeGuesses(p).some((g) => matcher(g) || flat(g));
    };
  }
  if (form === "absolute") {
    return (p, broad) =>
      (p.absolute !== undefined && matcher(p.absolute)) || (broad === true && flat(p.lexical));
  }
  if (form === "anywhere") {
    return (p, broad) =>
      (p.relative !== undefined && matcher(p.relative)) ||
      (p.absolute !== undefined && matcher(p.absolute.slice(1))) ||
      matcher(p.lexical) ||
      (broad === true && flat(p.lexical));
  }
  return (p, broad) =>
    (p.relative !== undefined && matcher(p.relative)) || (broad === true && flat(p.lexical));
}

/** Escapes a value so that a glob matches exactly it (the `=` operator). */
export const escapeGlob = (text: string) => text.replace(/[*?[\]{}\\]/g, "\\$&");

/** Converts a field value to the text patterns match: strings as they are, the rest as JSON. */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? "";
}

/** Resolves a field path against an input: every value it reaches (arrays under `[*]`, keys under `*`). */
export function resolveFieldPath(input: unknown, path: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [input];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === "key") {
        if (isRecord(value) && Object.hasOwn(value, segment.name)) next.push(value[segment.name]);
      } else if (segment.kind === "index") {
        if (Array.isArray(value) && segment.index < value.length) next.push(value[segment.index]);
      } else if (segment.kind === "any_index") {
        if (Array.isArray(value)) next.push(...value);
      } else if (isRecord(value)) next.push(...Object.values(value));
    }
    current = next;
    if (current.length === 0) break;
  }
  return current;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function quantify(
  values: readonly unknown[],
  quantifier: Quantifier,
  test: (v: unknown) => boolean,
) {
  if (values.length === 0) return false;
  return quantifier === "some" ? values.some(test) : values.every(test);
}

/**
 * A compiled test over one value, aware of whether the value is a path. `broad`: matching more is
 * the safe side (a deny or ask rule's positive test, an allow rule's negated one).
 */
type ValueTest = (call: PreparedCall, value: unknown, isPath: boolean, broad: boolean) => boolean;

function compileValueTest(op: FieldOperator, value: string): ValueTest {
  const negate = op.startsWith("!");
  const base = negate ? (op.slice(1) === "=" ? "=" : op.slice(1)) : op;
  let test: ValueTest;
  if (base === "=~") {
    const regex = compileRegex(value);
    // A path is matched normalised; where matching more is safe, as written too (as awaken does).
    test = (call, v, isPath, broad) =>
      isPath && typeof v === "string"
        ? regex(normalized(call, v).lexical) || (broad && regex(v))
        : regex(valueText(v));
  } else {
    const glob = base === "=" ? escapeGlob(value) : value;
    const text = base === "=" ? (v: string) => v === value : compileGlob(glob, "text");
    let path: PathMatcher | undefined;
    test = (call, v, isPath, broad) => {
      if (isPath && typeof v === "string") {
        path ??= compilePathGlob(glob);
        const p = normalized(call, v);
        // Where matching more is safe, also the path as written (awaken's reading).
        return path(p, broad) || (broad && p.lexical !== v && text(v));
      }
      return text(valueText(v));
    };
  }
  return negate ? (call, v, isPath, broad) => !test(call, v, isPath, !broad) : test;
}

/** The arguments part of a rule, compiled. `primary` replaces the primary value (shell sub-commands). */
export type ArgumentTest = (
  call: PreparedCall,
  quantifier: Quantifier,
  primary?: readonly string[],
) => boolean;

/** Compiles the argument selector of a pattern. Path-ness is decided per call from the tool spec. */
export function compileArguments(args: ArgumentSelector): ArgumentTest {
  if (args.kind === "any") return () => true;
  if (args.kind === "primary") {
    const test = compileValueTest("~", args.glob);
    const command = commandGlob(args.glob);
    // awaken's primary value: the only key's value, else the whole input as JSON text.
    const text = compileGlob(args.glob, "text");
    const json = globLiteral(args.glob, "text").prefix === "";
    const awaken = (call: PreparedCall, tested?: string): boolean => {
      let only: string | undefined;
      for (const key in call.input) {
        if (only !== undefined) return json && text(JSON.stringify(call.input));
        only = key;
      }
      if (only === undefined) return json && text("{}");
      return (
        only !== tested && Object.hasOwn(call.input, only) && text(valueText(call.input[only]))
      );
    };
    // The tool's one primary field and whether it is a path, per spec (specs are cached per tool).
    let lastSpec: ResolvedToolSpec | undefined;
    let single: { field: string; isPath: boolean } | undefined;
    return (call, quantifier, primary) => {
      if (primary) {
        if (primary.length === 1) return command(primary[0]!);
        return quantify(primary, quantifier, (v) => command(valueText(v)));
      }
      if (call.spec !== lastSpec) {
        const field = call.spec.primary;
        single =
          field === undefined || field.endsWith("[*]")
            ? undefined
            : { field, isPath: primaryIsPath(call.spec, field, field) };
        lastSpec = call.spec;
      }
      const broad = quantifier === "some";
      if (single) {
        const raw = Object.hasOwn(call.input, single.field) ? call.input[single.field] : undefined;
        if (raw !== undefined && !Array.isArray(raw)) {
          const tested = single.isPath ? undefined : single.field;
          return test(call, raw, single.isPath, broad) || (broad && awaken(call, tested));
        }
      }
      const { values, isPath } = primaryValues(call, quantifier);
      return (
        quantify(values, quantifier, (v) => test(call, v, isPath, broad)) || (broad && awaken(call))
      );
    };
  }
  const conditions = args.conditions.map((condition) => compileCondition(condition));
  if (conditions.length === 1) return conditions[0]!;
  return (call, quantifier, primary) => {
    for (const condition of conditions) if (!condition(call, quantifier, primary)) return false;
    return true;
  };
}

/**
 * A shell command glob: `rm *` means rm with any arguments, none included. Commands are matched
 * by their words with quotes removed, so quotes in the glob are removed the same way and what they
 * held is literal: `git commit -m "a = b"` matches that command, `echo "*"` only a literal star.
 */
function commandGlob(written: string): Matcher {
  const glob = unquoteShellGlob(written);
  const full = compileGlob(glob, "text");
  if (!glob.endsWith(" *") || glob.endsWith("\\ *")) return full;
  // Unescaped trailing spaces only: `a\  *` keeps its escaped space.
  const bare = compileGlob(glob.slice(0, -2).replace(/(?<=(?:^|[^\\])(?:\\\\)*)\s+$/, ""), "text");
  return (value) => full(value) || bare(value);
}

/** Removes shell quotes from a command glob, escaping what they held (unchanged if unbalanced). */
export function unquoteShellGlob(glob: string): string {
  if (!/["']/.test(glob)) return glob;
  let out = "";
  for (let at = 0; at < glob.length; at++) {
    const c = glob[at]!;
    if (c === "\\") {
      out += glob.slice(at, at + 2);
      at++;
    } else if (c === "'") {
      const close = glob.indexOf("'", at + 1);
      if (close < 0) return glob;
      out += escapeGlob(glob.slice(at + 1, close));
      at = close;
    } else if (c === '"') {
      let inner = "";
      let end = at + 1;
      for (; end < glob.length && glob[end] !== '"'; end++) {
        if (glob[end] === "\\" && /["\\$`]/.test(glob[end + 1] ?? "")) end++;
        inner += glob[end];
      }
      if (end >= glob.length) return glob;
      out += escapeGlob(inner);
      at = end;
    } else out += c;
  }
  return out;
}

function compileCondition(condition: FieldCondition): ArgumentTest {
  const test = compileValueTest(condition.op, condition.value);
  // Sub-commands are matched without their quotes, so a glob's quotes are removed too.
  const glob = condition.op === "~" || condition.op === "!~";
  const unquoted = glob ? unquoteShellGlob(condition.value) : condition.value;
  const commandTest =
    unquoted === condition.value ? test : compileValueTest(condition.op, unquoted);
  const printed = printFieldPath(condition.path);
  const last = condition.path.at(-1);
  const lastKey = last?.kind === "key" ? last.name : undefined;
  const single = condition.path.length === 1 && last?.kind === "key" ? last.name : undefined;
  // Whether the field is a path depends only on the tool spec, and specs are cached per tool.
  let lastSpec: ResolvedToolSpec | undefined;
  let lastIsPath = false;
  const isPathFor = (spec: ResolvedToolSpec): boolean => {
    if (spec !== lastSpec) {
      lastIsPath = fieldIsPath(spec, printed, lastKey);
      lastSpec = spec;
    }
    return lastIsPath;
  };
  return (call, quantifier, primary) => {
    if (primary && call.spec.shell && printed === call.spec.primary) {
      const broad = quantifier === "some";
      return quantify(primary, quantifier, (v) => commandTest(call, v, false, broad));
    }
    const broad = quantifier === "some";
    if (single !== undefined) {
      return (
        Object.hasOwn(call.input, single) &&
        test(call, call.input[single], isPathFor(call.spec), broad)
      );
    }
    const isPath = isPathFor(call.spec);
    return quantify(resolveFieldPath(call.input, condition.path), quantifier, (v) =>
      test(call, v, isPath, broad),
    );
  };
}

/** Whether a condition's field (printed path, last key) is a path field for a tool. */
export function fieldIsPath(
  spec: ResolvedToolSpec,
  printed: string,
  lastKey: string | undefined,
): boolean {
  return (
    spec.paths.includes(printed) ||
    (lastKey !== undefined && PATH_FIELD_NAMES.has(lastKey) && !spec.shell)
  );
}

/** Whether a tool's primary field is a path field, as primary-glob matching decides it. */
export function primaryIsPath(spec: ResolvedToolSpec, field: string, path: string): boolean {
  return (
    spec.paths.includes(field) ||
    spec.paths.includes(`${path}[*]`) ||
    (PATH_FIELD_NAMES.has(path) && !spec.shell)
  );
}

/**
 * The primary argument: the tool's table entry, else the only key of a one-key input. With
 * neither, deny and ask rules look at every top-level string (broader is safer) and allow rules
 * match nothing.
 */
function primaryValues(
  call: PreparedCall,
  quantifier: Quantifier,
): { values: unknown[]; isPath: boolean } {
  const field = call.spec.primary;
  if (field !== undefined) {
    const path = field.endsWith("[*]") ? field.slice(0, -3) : field;
    const raw = Object.hasOwn(call.input, path) ? call.input[path] : undefined;
    const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    return { values, isPath: primaryIsPath(call.spec, field, path) };
  }
  const keys = Object.keys(call.input);
  if (keys.length === 1) {
    const key = keys[0]!;
    return { values: [call.input[key]], isPath: PATH_FIELD_NAMES.has(key) };
  }
  if (quantifier === "every") return { values: [], isPath: false };
  return { values: Object.values(call.input).filter((v) => typeof v === "string"), isPath: false };
}

/**
 * Compiles a whole pattern (`text` is what it was parsed from): tool test plus argument test. A
 * glob or regex that does not compile is reported at the column of its fault in the pattern.
 */
export function compilePattern(
  pattern: Pattern,
  text: string,
): { tool: Matcher; args: ArgumentTest } {
  const toolStart = text.length - text.trimStart().length;
  const tool = inPattern(
    () => compileToolSelector(pattern.tool),
    (offset) =>
      pattern.tool.kind === "regex"
        ? rawColumn(text, toolStart + 1, offset, "/")
        : toolStart + offset + 1,
  );
  const args = pattern.args;
  if (args.kind !== "fields") {
    const start = args.kind === "primary" ? args.column : 1;
    return {
      tool,
      args: inPattern(
        () => compileArguments(args),
        (offset) => start + offset,
      ),
    };
  }
  const conditions = args.conditions.map((condition) => {
    const valueStart = text.indexOf('"', condition.column - 1) + 1;
    // `=` compares the value as written: its glob is escaped and can only be too long.
    const exact = condition.op === "=" || condition.op === "!=";
    return inPattern(
      () => compileArguments({ kind: "fields", conditions: [condition] }),
      (offset) => (exact ? valueStart + 1 : rawColumn(text, valueStart, offset, '"\\')),
    );
  });
  if (conditions.length === 1) return { tool, args: conditions[0]! };
  return {
    tool,
    args: (call, quantifier, primary) => {
      for (const condition of conditions) if (!condition(call, quantifier, primary)) return false;
      return true;
    },
  };
}

/** Runs a compile step, moving the column of a glob or regex fault into the pattern. */
function inPattern<T>(compile: () => T, column: (offset: number) => number): T {
  try {
    return compile();
  } catch (error) {
    if (!(error instanceof PolicyError) || error.location.patternColumn === undefined) throw error;
    throw error.relocate({ patternColumn: column(error.location.patternColumn - 1) });
  }
}

/**
 * The 1-based pattern column of character `offset` of a value written from index `start` of the
 * pattern text, where a backslash before one of `collapsed` stands for that character alone.
 */
function rawColumn(text: string, start: number, offset: number, collapsed: string): number {
  let at = start;
  for (let produced = 0; produced < offset && at < text.length; produced++) {
    at += text[at] === "\\" && collapsed.includes(text[at + 1] ?? "") ? 2 : 1;
  }
  return at + 1;
}
