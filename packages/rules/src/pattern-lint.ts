import { parsePattern } from "./pattern.ts";
import { resolveTool } from "./tools.ts";

/** A pattern that loads but may not mean what its author meant. */
export interface PatternWarning {
  readonly code: "operator_in_glob";
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
  if (args.kind !== "primary") return [];
  const at = operatorOutsideQuotes(args.glob);
  if (at === undefined) return [];
  const c = args.glob[at]!;
  const field = (tool.kind === "exact" ? resolveTool(tool.name, {}).primary : undefined) ?? "field";
  return [
    {
      code: "operator_in_glob",
      message: `the glob ${args.glob} has '${c}' outside quotes and matches it as text; for a condition write ${field} ${c === "=" ? "=" : "~"} "…", for a literal '${c}' write \\${c}`,
      patternColumn: args.column + at,
    },
  ];
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
