/** What an awk program does beyond printing to its output: commands it runs, files it writes. */
export interface AwkEffects {
  /** The program runs a command or reads code (`system`, a pipe, `getline`, `@load`), or could not be read. */
  readonly runs: boolean;
  /** Files named by `print > "file"` and `>>`; `undefined` for a target that is not one constant. */
  readonly writes: readonly (string | undefined)[];
}

const UNREADABLE: AwkEffects = { runs: true, writes: [] };

/**
 * Text in an awk program that runs a command or reads code: `system()`, pipes, `getline`, gawk's
 * `@load`/`@include` and its indirect calls (`f = "sys" "tem"; @f("cmd")`). Looked for in the
 * whole text, strings included, so a misread string cannot hide one. A pipe is any run of `|`
 * but `||` (a logical or).
 */
const RUNS =
  /\bsystem\b|(?<!\|)(?:\||\|{3,})(?!\|)|\bgetline\b|@\s*(?:load|include|namespace)\b|@[A-Za-z_]\w*\s*\(/;

/** Keywords after which a `/` starts a regular expression rather than a division. */
const KEYWORDS = new Set(
  [
    "BEGIN END BEGINFILE ENDFILE if else while for do in return delete exit next nextfile",
    "function func print printf getline case default switch",
  ]
    .join(" ")
    .split(" "),
);

type Token =
  | { readonly kind: "string"; readonly text: string }
  | { readonly kind: "operand" }
  | { readonly kind: "word"; readonly text: string }
  | { readonly kind: "newline" }
  | { readonly kind: "punct"; readonly text: string };

/**
 * Reads an awk program as awk's lexer does (strings, regular expressions, comments, `\`-newline)
 * and finds every output redirection of `print` and `printf`: a `>` or `>>` outside parentheses
 * in a print statement, whatever the strings around it hold (`print ";" > "out"`). A program it
 * cannot tokenize counts as running a command, so a misread program asks rather than allows.
 */
export function awkEffects(program: string): AwkEffects {
  if (RUNS.test(program)) return UNREADABLE;
  const tokens = tokenize(program);
  if (!tokens) return UNREADABLE;
  const writes: (string | undefined)[] = [];
  for (let at = 0; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (token.kind !== "word" || (token.text !== "print" && token.text !== "printf")) continue;
    let depth = 0;
    for (at++; at < tokens.length; at++) {
      const next = tokens[at]!;
      if (next.kind === "punct" && (next.text === "(" || next.text === "[")) depth++;
      else if (next.kind === "punct" && (next.text === ")" || next.text === "]")) depth--;
      if (depth > 0) continue;
      if (endsStatement(next, tokens[at - 1]!)) break;
      // `>=` is a redirection too in a print statement for some awks: its target is unknown.
      if (next.kind === "punct" && next.text.startsWith(">")) {
        const [target, end] = redirectTarget(tokens, at + 1);
        writes.push(next.text === ">=" ? undefined : target);
        at = end;
        break;
      }
    }
  }
  return { runs: false, writes };
}

/** `;` and `}` end a print statement, and a newline after an operand (not after `,` or `&&`). */
function endsStatement(token: Token, before: Token): boolean {
  if (token.kind === "punct") return token.text === ";" || token.text === "}";
  return token.kind === "newline" && isOperand(before);
}

/** Whether a token ends an operand, after which `/` divides and a newline ends a statement. */
function isOperand(token: Token | undefined): boolean {
  if (!token) return false;
  if (token.kind === "string" || token.kind === "operand") return true;
  if (token.kind === "word") return !KEYWORDS.has(token.text);
  return token.kind === "punct" && /^(?:\)|\]|\+\+|--)$/.test(token.text);
}

/** The constant file a redirection names, or `undefined` for anything else; and where it ends. */
function redirectTarget(tokens: readonly Token[], from: number): [string | undefined, number] {
  const target: Token[] = [];
  let at = from;
  for (; at < tokens.length; at++) {
    const token = tokens[at]!;
    if (token.kind === "newline" && target.length === 0) continue;
    if (token.kind === "newline" || isPunct(token, ";") || isPunct(token, "}")) break;
    target.push(token);
  }
  const inner =
    target.length === 3 && isPunct(target[0]!, "(") && isPunct(target[2]!, ")")
      ? target.slice(1, 2)
      : target;
  const only = inner.length === 1 ? inner[0]! : undefined;
  return [only?.kind === "string" && !only.text.includes("\\") ? only.text : undefined, at];
}

function isPunct(token: Token, text: string): boolean {
  return token.kind === "punct" && token.text === text;
}

function tokenize(program: string): Token[] | undefined {
  const tokens: Token[] = [];
  let at = 0;
  while (at < program.length) {
    const char = program[at]!;
    if (char === "\\" && program[at + 1] === "\n") at += 2;
    else if (char === "\\" && program.startsWith("\r\n", at + 1)) at += 3;
    else if (char === " " || char === "\t" || char === "\r") at++;
    else if (char === "\n") {
      tokens.push({ kind: "newline" });
      at++;
    } else if (char === "#") {
      while (at < program.length && program[at] !== "\n") at++;
    } else if (char === '"') {
      const end = stringEnd(program, at + 1, '"');
      if (end === undefined) return undefined;
      tokens.push({ kind: "string", text: program.slice(at + 1, end) });
      at = end + 1;
    } else if (char === "/" && !isOperand(tokens.at(-1))) {
      const end = regexEnd(program, at + 1);
      if (end === undefined) return undefined;
      tokens.push({ kind: "operand" });
      at = end + 1;
    } else {
      const token = lexeme(program, at);
      tokens.push(token.token);
      at += token.length;
    }
  }
  return tokens;
}

const WORD = /[A-Za-z_]\w*/y;
const NUMBER = /[0-9.]+(?:[eE][-+]?[0-9]+)?/y;
const PUNCT = />>|\+\+|--|&&|\|\||[<>!=]=|./sy;

/** A name, a number or an operator at `at` (`PUNCT` takes any one character), and its length. */
function lexeme(program: string, at: number): { token: Token; length: number } {
  for (const pattern of [WORD, NUMBER, PUNCT]) {
    pattern.lastIndex = at;
    const text = pattern.exec(program)?.[0];
    if (text === undefined) continue;
    if (pattern === NUMBER) return { token: { kind: "operand" }, length: text.length };
    return { token: { kind: pattern === WORD ? "word" : "punct", text }, length: text.length };
  }
  throw new Error("unreachable: PUNCT matches any character");
}

/** Where a string ends (its closing quote), skipping escapes; `undefined` when it does not. */
function stringEnd(program: string, from: number, quote: string): number | undefined {
  for (let at = from; at < program.length; at++) {
    const char = program[at]!;
    if (char === "\\") at++;
    else if (char === quote) return at;
    else if (char === "\n") return undefined;
  }
  return undefined;
}

/**
 * Where a regular expression ends. A `/` inside a bracket expression (`/[/]/`) ends it for some
 * awks and not for others: such a program is not read.
 */
function regexEnd(program: string, from: number): number | undefined {
  let bracket = false;
  for (let at = from; at < program.length; at++) {
    const char = program[at]!;
    if (char === "\\") at++;
    else if (char === "\n") return undefined;
    else if (char === "[") bracket = true;
    else if (char === "]") bracket = false;
    else if (char === "/") return bracket ? undefined : at;
  }
  return undefined;
}
