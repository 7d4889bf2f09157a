import { parsePattern, type ToolSelector } from "./pattern.ts";
import { resolveTool } from "./tools.ts";

/** A pattern that loads but may not mean what its author meant. */
export interface PatternWarning {
  readonly code: "operator_in_glob" | "regex_unanchored" | "server_not_exact";
  readonly message: string;
  /** 1-based column in the pattern of the character warned about. */
  readonly patternColumn: number;
}

/**
 * Warns about a primary glob holding an operator character (`=` or `~`) outside quotes: it
 * matches that text literally, which is rarely what a rule like `Bash(command ~rm*)` meant. A `~`
 * that starts a home path (`~/…`, a lone `~`) and an escaped `\=` are not warned about.
 */
export function lintPattern(text: string): PatternWarning[] {
  let pattern: ReturnType<typeof parsePattern>;
  try {
    pattern = parsePattern(text);
  } catch {
    return [];
  }
  const { args, tool } = pattern;
  const warnings = lintToolSelector(tool, text.length - text.trimStart().length + 1);
  if (args.kind !== "primary") return warnings;
  const at = operatorOutsideQuotes(args.glob);
  if (at === undefined) return warnings;
  const c = args.glob[at]!;
  const field = (tool.kind === "exact" ? resolveTool(tool.name, {}).primary : undefined) ?? "field";
  warnings.push({
    code: "operator_in_glob",
    message: `the glob ${args.glob} has '${c}' outside quotes and matches it as text; for a condition write ${field} ${c === "=" ? "=" : "~"} "…", for a literal '${c}' write \\${c}`,
    patternColumn: args.column + at,
  });
  return warnings;
}

/**
 * Warnings about how a pattern names tools. A tool regex is a search: unless each of its
 * alternatives is anchored (`^…$`), `/mcp__github__.*\/` also matches `xmcp__github__y` and
 * `/mcp__git__git_(status|diff)/` matches `mcp__git__git_status_and_push`. And the server part of
 * an `mcp__<server>__<tool>` name must name servers exactly: `mcp__gh*`, `/^mcp__.*__merge$/` or
 * `/^mcp__\w+__x$/` also reach other servers (`ghost`), and a wildcard that can span `__` reaches
 * a tool whose own name holds `__` (`mcp__evil__x__merge` is server `evil`'s tool `x__merge`).
 * The gateway's server names are `[a-z0-9_-]` without `__` (packages/mcp/src/names.ts).
 */
function lintToolSelector(tool: ToolSelector, column: number): PatternWarning[] {
  if (tool.kind === "exact") return [];
  const warnings: PatternWarning[] = [];
  if (tool.kind === "regex") {
    // The pattern's text is `/source/`: the source starts one column after the slash.
    const alternatives = topLevelAlternatives(tool.source);
    const loose = alternatives.find(
      (alt) => !alt.text.startsWith("^") || !endsWithAnchor(alt.text),
    );
    if (loose !== undefined)
      warnings.push({
        code: "regex_unanchored",
        message: `the regex /${tool.source}/ matches anywhere in a tool's name; anchor it as /^(?:${tool.source})$/ to match whole names`,
        patternColumn: column + 1 + loose.start,
      });
    for (const alt of alternatives) {
      const at = looseServer(alt.text.replace(/^\^/, ""), "regex");
      if (at === undefined) continue;
      const offset = alt.start + (alt.text.startsWith("^") ? 1 : 0) + at;
      warnings.push(serverWarning(`/${tool.source}/`, column + 1 + offset));
      break;
    }
    return warnings;
  }
  const at = looseServer(tool.glob, "glob");
  if (at !== undefined) warnings.push(serverWarning(tool.glob, column + at));
  return warnings;
}

function serverWarning(shown: string, patternColumn: number): PatternWarning {
  return {
    code: "server_not_exact",
    message: `${shown} does not name its MCP server exactly: a wildcard in mcp__<server>__ also reaches other servers (and tools whose names hold __); name the server, or list them (mcp__{a,b}__…, /^mcp__(a|b)__…$/)`,
    patternColumn,
  };
}

/** The alternatives of a regex at its top level (outside groups and classes), with offsets. */
function topLevelAlternatives(source: string): { text: string; start: number }[] {
  const parts: { text: string; start: number }[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let at = 0; at < source.length; at++) {
    const c = source[at];
    if (c === "\\") at++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) {
      parts.push({ text: source.slice(start, at), start });
      start = at + 1;
    }
  }
  parts.push({ text: source.slice(start), start });
  return parts;
}

/** Whether a regex ends with an unescaped `$` (an even number of backslashes before it). */
function endsWithAnchor(text: string): boolean {
  if (!text.endsWith("$")) return false;
  let slashes = 0;
  for (let at = text.length - 2; at >= 0 && text[at] === "\\"; at--) slashes++;
  return slashes % 2 === 0;
}

/** A server name's characters as the gateway makes them, and their alternation in a glob or regex. */
const SERVER = "[a-z0-9-]+(?:_[a-z0-9-]+)*";
const EXACT_SERVER = {
  glob: new RegExp(`^mcp__(?:${SERVER}|\\{${SERVER}(?:,${SERVER})*\\})(?:__|$)`),
  regex: new RegExp(`^mcp__(?:${SERVER}|\\((?:\\?:)?${SERVER}(?:\\|${SERVER})*\\))(?:__|\\$|$)`),
};

const EVERY_SERVER = { glob: /^mcp__\*{1,2}$/, regex: /^mcp__\.[*+]\$?$/ };

/**
 * For a glob or a regex alternative (its `^` removed) that starts naming an MCP tool (`mcp_…`),
 * the offset of its server part when that part is not exactly one server or a list of them.
 */
function looseServer(text: string, kind: "glob" | "regex"): number | undefined {
  if (!text.startsWith("mcp_")) return undefined;
  // Every MCP tool of every server, said as such: nothing to confuse.
  if (EVERY_SERVER[kind].test(text)) return undefined;
  return EXACT_SERVER[kind].test(text) ? undefined : "mcp__".length;
}

/** Index of the first `=` or `~` outside quotes and escapes that is not a home path's `~`. */
function operatorOutsideQuotes(glob: string): number | undefined {
  let quote: string | undefined;
  for (let at = 0; at < glob.length; at++) {
    const c = glob[at]!;
    if (c === "\\") {
      at++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === "=") return at;
    else if (c === "~" && !startsHomePath(glob, at)) return at;
  }
  return undefined;
}

/** `~/…` at the start of a word, or a lone `~` ending the glob (`ls ~`); `cd ~ && x` is warned. */
function startsHomePath(glob: string, at: number): boolean {
  const before = glob[at - 1];
  const after = glob[at + 1];
  return (before === undefined || /[\s:=]/.test(before)) && (after === undefined || after === "/");
}
