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
    throw new PolicyError("invalid_glob", `glob is longer than ${MAX_GLOB_LENGTH} characters`);
  }
  const tokens = tokenize(glob, flavor);
  return fastPath(tokens, flavor) ?? regexMatcher(toRegexSource(tokens, flavor));
}

function tokenize(glob: string, flavor: GlobFlavor): Token[] {
  let pos = 0;
  let branchCount = 0;
  const fail = (message: string, at: number): never => {
    throw new PolicyError("invalid_glob", `${message} at glob column ${at + 1}`);
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
    throw new PolicyError("invalid_glob", `glob does not compile: ${(error as Error).message}`);
  }
  return (value) => re2.matches(value);
}

/** Compiles a user regex on RE2 (linear time); unanchored like awaken's `is_match`. */
export function compileRegex(source: string): Matcher {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (error) {
    throw new PolicyError(
      "invalid_regex",
      `invalid regex /${source}/: ${(error as Error).message}`,
    );
  }
  return (value) => re.test(value);
}
