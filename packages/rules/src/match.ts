import { compileGlob, compileRegex, type Matcher } from "./glob.ts";
import { type NormalizedPath, normalizeGlobPath, normalizePath, type PathContext } from "./path.ts";
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
  readonly paths: Map<string, NormalizedPath>;
}

/** Prepares a call for matching. */
export function prepareCall(
  toolName: string,
  input: Readonly<Record<string, unknown>>,
  spec: ResolvedToolSpec,
  context: PathContext,
): PreparedCall {
  return { toolName, input, spec, context, paths: new Map() };
}

function normalized(call: PreparedCall, value: string): NormalizedPath {
  let result = call.paths.get(value);
  if (!result) {
    result = normalizePath(value, call.context);
    call.paths.set(value, result);
  }
  return result;
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

type PathMatcher = (path: NormalizedPath) => boolean;

/** Compiles a path glob written in a rule to a test over a normalised path. */
export function compilePathGlob(glob: string): PathMatcher {
  const clean = normalizeGlobPath(glob);
  const matcher = compileGlob(clean, "path");
  if (clean === "~" || clean.startsWith("~/"))
    return (p) => p.tilde !== undefined && matcher(p.tilde);
  if (clean.startsWith("/")) return (p) => p.absolute !== undefined && matcher(p.absolute);
  if (clean.startsWith("**")) {
    return (p) =>
      (p.relative !== undefined && matcher(p.relative)) ||
      (p.absolute !== undefined && matcher(p.absolute.slice(1))) ||
      matcher(p.lexical);
  }
  return (p) => p.relative !== undefined && matcher(p.relative);
}

const escapeGlob = (text: string) => text.replace(/[*?[\]{}\\]/g, "\\$&");

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

/** A compiled test over one value, aware of whether the value is a path. */
type ValueTest = (call: PreparedCall, value: unknown, isPath: boolean) => boolean;

function compileValueTest(op: FieldOperator, value: string): ValueTest {
  const negate = op.startsWith("!");
  const base = negate ? (op.slice(1) === "=" ? "=" : op.slice(1)) : op;
  let test: ValueTest;
  if (base === "=~") {
    const regex = compileRegex(value);
    test = (call, v, isPath) =>
      regex(isPath && typeof v === "string" ? normalized(call, v).lexical : valueText(v));
  } else {
    const glob = base === "=" ? escapeGlob(value) : value;
    const text = base === "=" ? (v: string) => v === value : compileGlob(glob, "text");
    let path: PathMatcher | undefined;
    test = (call, v, isPath) => {
      if (isPath && typeof v === "string") {
        path ??= compilePathGlob(glob);
        return path(normalized(call, v));
      }
      return text(valueText(v));
    };
  }
  return negate ? (call, v, isPath) => !test(call, v, isPath) : test;
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
    return (call, quantifier, primary) => {
      if (primary) return quantify(primary, quantifier, (v) => command(valueText(v)));
      const { values, isPath } = primaryValues(call, quantifier);
      return quantify(values, quantifier, (v) => test(call, v, isPath));
    };
  }
  const conditions = args.conditions.map((condition) => compileCondition(condition));
  return (call, quantifier, primary) =>
    conditions.every((condition) => condition(call, quantifier, primary));
}

/** A shell command glob: `rm *` means rm with any arguments, none included. */
function commandGlob(glob: string): Matcher {
  const full = compileGlob(glob, "text");
  if (!glob.endsWith(" *") || glob.endsWith("\\ *")) return full;
  const bare = compileGlob(glob.slice(0, -2).trimEnd(), "text");
  return (value) => full(value) || bare(value);
}

function compileCondition(condition: FieldCondition): ArgumentTest {
  const test = compileValueTest(condition.op, condition.value);
  const printed = printFieldPath(condition.path);
  const last = condition.path.at(-1);
  const lastKey = last?.kind === "key" ? last.name : undefined;
  return (call, quantifier, primary) => {
    if (primary && call.spec.shell && printed === call.spec.primary) {
      return quantify(primary, quantifier, (v) => test(call, v, false));
    }
    const isPath =
      call.spec.paths.includes(printed) ||
      (lastKey !== undefined && PATH_FIELD_NAMES.has(lastKey) && !call.spec.shell);
    return quantify(resolveFieldPath(call.input, condition.path), quantifier, (v) =>
      test(call, v, isPath),
    );
  };
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
    const isPath =
      call.spec.paths.includes(field) ||
      call.spec.paths.includes(`${path}[*]`) ||
      (PATH_FIELD_NAMES.has(path) && !call.spec.shell);
    return { values, isPath };
  }
  const keys = Object.keys(call.input);
  if (keys.length === 1) {
    const key = keys[0]!;
    return { values: [call.input[key]], isPath: PATH_FIELD_NAMES.has(key) };
  }
  if (quantifier === "every") return { values: [], isPath: false };
  return { values: Object.values(call.input).filter((v) => typeof v === "string"), isPath: false };
}

/** Compiles a whole pattern: tool test plus argument test. */
export function compilePattern(pattern: Pattern): { tool: Matcher; args: ArgumentTest } {
  return { tool: compileToolSelector(pattern.tool), args: compileArguments(pattern.args) };
}
