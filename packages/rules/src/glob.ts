import { RE2JS } from "re2js";
import { PolicyError } from "./errors.ts";

/** A compiled string test. Never backtracks super-linearly, whatever the input. */
export type Matcher = (value: string) => boolean;

/**
 * `text` globs (tool names, commands, URLs): `*` matches any run of characters, `/` included,
 * as in awaken. `path` globs (path fields): `*` and `?` stay inside one path segment and `**`
 * spans segments, as in gitignore and picomatch.
 */
export type GlobFlavor = "text" | "path";

type Token =
  | { kind: "literal"; text: string }
  | { kind: "star" }
  | { kind: "globstar" }
  | { kind: "question" }
  | { kind: "class"; source: string }
  | { kind: "alternation"; branches: Token[][] };

const MAX_GLOB_LENGTH = 4096;
const MAX_BRANCHES = 64;

/** Compiles a glob to a linear-time matcher; throws `invalid_glob` for malformed globs. */
export function compileGlob(glob: string, flavor: GlobFlavor): Matcher {
  if (glob.length > MAX_GLOB_LENGTH) {
    throw new PolicyError("invalid_glob", `glob is longer than ${MAX_GLOB_LENGTH} characters`, {
      patternColumn: 1,
    });
  }
  const tokens = tokenize(glob, flavor);
  return (
    fastPath(tokens, flavor) ??
    globstarPath(tokens, flavor) ??
    guarded(tokens, flavor, regexMatcher(toRegexSource(tokens, flavor)))
  );
}

/** The literal text every match starts with, and whether the glob is nothing but that text. */
export interface GlobLiteral {
  readonly prefix: string;
  readonly exact: boolean;
}

/** The glob's plain regex, without the fast paths and guards (the reference the tests compare to). */
export function compileGlobRegex(glob: string, flavor: GlobFlavor): Matcher {
  return regexMatcher(toRegexSource(tokenize(glob, flavor), flavor));
}

/** The literal start of a glob (escapes resolved); throws `invalid_glob` like `compileGlob`. */
export function globLiteral(glob: string, flavor: GlobFlavor): GlobLiteral {
  const tokens = tokenize(glob, flavor);
  const first = tokens[0];
  if (first === undefined) return { prefix: "", exact: true };
  if (first.kind !== "literal") return { prefix: "", exact: false };
  return { prefix: first.text, exact: tokens.length === 1 };
}

function tokenize(glob: string, flavor: GlobFlavor): Token[] {
  let pos = 0;
  let branchCount = 0;
  // `patternColumn` is the column inside the glob until the caller moves it into the pattern.
  const fail = (message: string, at: number): never => {
    throw new PolicyError("invalid_glob", `${message} at glob column ${at + 1}`, {
      patternColumn: at + 1,
    });
  };

  const parseSequence = (inBraces: boolean): Token[] => {
    const tokens: Token[] = [];
    const pushLiteral = (text: string) => {
      const last = tokens.at(-1);
      if (last?.kind === "literal") last.text += text;
      else tokens.push({ kind: "literal", text });
    };
    while (pos < glob.length) {
      const c = glob[pos]!;
      if (inBraces && (c === "," || c === "}")) return tokens;
      if (c === "\\") {
        if (pos + 1 >= glob.length) fail("dangling escape", pos);
        const next = String.fromCodePoint(glob.codePointAt(pos + 1)!);
        pushLiteral(next);
        pos += 1 + next.length;
      } else if (c === "*") {
        let end = pos;
        while (glob[end] === "*") end++;
        const double = end - pos >= 2;
        const segmentStart = pos === 0 || glob[pos - 1] === "/";
        const segmentEnd = end === glob.length || glob[end] === "/";
        const globstar = flavor === "path" && double && segmentStart && segmentEnd;
        tokens.push({ kind: globstar ? "globstar" : "star" });
        pos = end;
      } else if (c === "?") {
        tokens.push({ kind: "question" });
        pos++;
      } else if (c === "[") {
        const start = pos;
        let end = pos + 1;
        if (glob[end] === "!" || glob[end] === "^") end++;
        if (glob[end] === "]") end++;
        while (end < glob.length && glob[end] !== "]") end += glob[end] === "\\" ? 2 : 1;
        if (end >= glob.length) fail("unclosed '['", start);
        tokens.push({ kind: "class", source: classSource(glob.slice(start + 1, end), flavor) });
        pos = end + 1;
      } else if (c === "{") {
        const start = pos;
        pos++;
        const branches: Token[][] = [parseSequence(true)];
        while (glob[pos] === ",") {
          pos++;
          branches.push(parseSequence(true));
        }
        if (glob[pos] !== "}") fail("unclosed '{'", start);
        pos++;
        branchCount += branches.length;
        if (branchCount > MAX_BRANCHES) fail(`more than ${MAX_BRANCHES} brace branches`, start);
        if (branches.length === 1) {
          pushLiteral("{");
          tokens.push(...branches[0]!);
          pushLiteral("}");
        } else tokens.push({ kind: "alternation", branches });
      } else {
        const char = String.fromCodePoint(glob.codePointAt(pos)!);
        pushLiteral(char);
        pos += char.length;
      }
    }
    return tokens;
  };

  const tokens = parseSequence(false);
  if (pos < glob.length) fail(`unexpected '${glob[pos]}'`, pos);
  return tokens;
}

function classSource(body: string, flavor: GlobFlavor): string {
  const negated = body.startsWith("!") || body.startsWith("^");
  let inner = "";
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    let c = body[i]!;
    if (c === "\\") {
      c = body[++i] ?? "\\";
      inner += /[\p{L}\p{N}\s]/u.test(c) ? c : `\\${c}`;
    } else inner += "[]^\\".includes(c) ? `\\${c}` : c;
  }
  if (negated) return `[^${inner}${flavor === "path" ? "/" : ""}]`;
  return `[${inner}]`;
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;
const escapeRegex = (text: string) => text.replace(ESCAPE, "\\$&");

function toRegexSource(input: readonly Token[], flavor: GlobFlavor): string {
  let tokens = input;
  const any = flavor === "path" ? "[^/]" : "[\\s\\S]";
  let out = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    switch (token.kind) {
      case "literal":
        out += escapeRegex(token.text);
        break;
      case "star":
        out += `${any}*`;
        break;
      case "question":
        out += any;
        break;
      case "class":
        out += token.source;
        break;
      case "alternation":
        out += `(?:${token.branches.map((branch) => toRegexSource(branch, flavor)).join("|")})`;
        break;
      case "globstar": {
        const next = tokens[i + 1];
        const followedBySlash = next?.kind === "literal" && next.text.startsWith("/");
        if (followedBySlash) {
          // `**/x` also matches `x`: swallow the slash into an optional group.
          out += "(?:[\\s\\S]*/)?";
          tokens = [
            ...tokens.slice(0, i + 1),
            { kind: "literal", text: next.text.slice(1) },
            ...tokens.slice(i + 2),
          ];
        } else if (out.endsWith("/")) {
          // `x/**` also matches `x` itself.
          out = `${out.slice(0, -1)}(?:/[\\s\\S]*)?`;
        } else out += "[\\s\\S]*";
        break;
      }
    }
  }
  return out;
}

function fastPath(tokens: readonly Token[], flavor: GlobFlavor): Matcher | undefined {
  const [first, second] = tokens;
  if (tokens.length === 0) return (value) => value === "";
  if (tokens.length === 1 && first?.kind === "literal") {
    const text = first.text;
    return (value) => value === text;
  }
  const anyRun = (token: Token | undefined) =>
    token?.kind === "globstar" || (token?.kind === "star" && flavor === "text");
  if (tokens.length === 1 && anyRun(first)) return () => true;
  if (tokens.length === 2 && first?.kind === "literal" && anyRun(second)) {
    const prefix = first.text;
    if (flavor === "path" && second?.kind === "globstar" && prefix.endsWith("/")) {
      const dir = prefix.slice(0, -1);
      return (value) => value.startsWith(prefix) || value === dir;
    }
    return (value) => value.startsWith(prefix);
  }
  return undefined;
}

/**
 * Linear matchers for the common path shapes `[dir/]**\/name` and `[dir/]**\/*suffix`, which have
 * two unbounded wildcards and would otherwise run on RE2.
 */
function globstarPath(tokens: readonly Token[], flavor: GlobFlavor): Matcher | undefined {
  if (flavor !== "path" || tokens.some(splitsSurrogatePair)) return undefined;
  const lead = tokens[0]?.kind === "literal" ? tokens[0].text : "";
  const rest = lead === "" ? tokens : tokens.slice(1);
  if (rest[0]?.kind !== "globstar") return undefined;
  const [, second, third, fourth] = rest;
  if (second?.kind !== "literal" || !second.text.startsWith("/")) return undefined;
  if (rest.length === 2) {
    // `(?:.*/)?name`: the rest is `name` or ends with `/name`.
    const name = second.text.slice(1);
    const slashName = second.text;
    const exact = lead + name;
    return (value) =>
      value === exact ||
      (value.length >= exact.length + 1 && value.startsWith(lead) && value.endsWith(slashName));
  }
  if (rest.length === 4 && second.text === "/" && third?.kind === "star") {
    if (fourth?.kind !== "literal") return undefined;
    // `(?:.*/)?[^/]*suffix`: the rest ends with `suffix`, whatever precedes it.
    const suffix = fourth.text;
    const minimum = lead.length + suffix.length;
    return (value) => value.length >= minimum && value.startsWith(lead) && value.endsWith(suffix);
  }
  return undefined;
}

/** A literal with a lone surrogate at an end, where string and code-point comparison differ. */
const splitsSurrogatePair = (token: Token): boolean =>
  token.kind === "literal" && /^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/.test(token.text);

/** Rejects values without the glob's literal start or end before running its regex. */
function guarded(tokens: readonly Token[], flavor: GlobFlavor, matcher: Matcher): Matcher {
  const first = tokens[0];
  const last = tokens.at(-1);
  let prefix = first?.kind === "literal" ? first.text : "";
  let suffix = tokens.length > 1 && last?.kind === "literal" ? last.text : "";
  // `dir/**` also matches `dir`, and `**/name` also matches `name`.
  if (flavor === "path" && tokens[1]?.kind === "globstar" && prefix.endsWith("/")) {
    prefix = prefix.slice(0, -1);
  }
  if (flavor === "path" && tokens.at(-2)?.kind === "globstar" && suffix.startsWith("/")) {
    suffix = suffix.slice(1);
  }
  if (prefix === "" && suffix === "") return matcher;
  return (value) => value.startsWith(prefix) && value.endsWith(suffix) && matcher(value);
}

function regexMatcher(source: string): Matcher {
  const anchored = `^(?:${source})$`;
  const unbounded = source.match(/\]\*/g)?.length ?? 0;
  if (unbounded <= 1) {
    // With at most one unbounded repetition a backtracking engine stays linear in the input.
    try {
      const native = new RegExp(anchored, "u");
      return (value) => native.test(value);
    } catch {
      // fall through to RE2, which accepts a few class spellings that `u` mode rejects
    }
  }
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(anchored);
  } catch (error) {
    throw new PolicyError("invalid_glob", `glob does not compile: ${(error as Error).message}`, {
      patternColumn: 1,
    });
  }
  return (value) => re2.matches(value);
}

/** Compiles a user regex on RE2 (linear time); unanchored like awaken's `is_match`. */
export function compileRegex(source: string): Matcher {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    // re2js names the offending part of the source; point at it (inside the regex).
    const part = (error as { input?: unknown }).input;
    const at = typeof part === "string" && part !== "" ? source.indexOf(part) : -1;
    throw new PolicyError(
      "invalid_regex",
      `invalid regex /${source}/: ${(error as Error).message}`,
      { patternColumn: Math.max(at, 0) + 1 },
    );
  }
  return literalSearch(source, re) ?? ((value) => re.test(value));
}

/** Printable ASCII that RE2 reads as itself outside a class (no metacharacters, no escapes). */
const PLAIN_LITERAL = /^[A-Za-z0-9 _\-/:=,@%'"!~#&<>;]{1,256}$/;

/**
 * A regex that is a plain ASCII literal is a substring search. Under `(?i)` RE2 also folds `ſ`
 * to `s` and `K` (Kelvin) to `k`: lower-casing finds every candidate except those with `ſ`, and
 * RE2 confirms each candidate, so only values that cannot match skip it.
 */
function literalSearch(source: string, re: RE2JS): Matcher | undefined {
  if (PLAIN_LITERAL.test(source)) return (value) => value.includes(source);
  const folded = source.startsWith("(?i)") ? source.slice(4) : undefined;
  if (folded === undefined || !PLAIN_LITERAL.test(folded)) return undefined;
  const lower = folded.toLowerCase();
  return (value) =>
    (lowerCased(value).includes(lower) || value.includes("\u017F")) && re.test(value);
}

let lastValue = "";
let lastLower = "";

/** `toLowerCase`, remembered for the last value: every `(?i)` rule tests the same command. */
function lowerCased(value: string): string {
  if (value !== lastValue) {
    lastLower = value.toLowerCase();
    lastValue = value;
  }
  return lastLower;
}
