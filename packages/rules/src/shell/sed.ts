/** What a sed script does beyond editing its stream: files it writes, whether it runs commands. */
export interface SedEffects {
  /** The script runs a command (`e`, `s///e`) or could not be read, so it may. */
  readonly runs: boolean;
  /** Files named by `w`, `W` and `s///w`. */
  readonly writes: readonly string[];
}

const UNREADABLE: SedEffects = { runs: true, writes: [] };
/** Commands that take no argument, or only an optional number. */
const PLAIN = new Set([..."=dDgGhHnNpPxzlLqQF{}"]);
/** Commands whose argument runs to the end of the line: text, comments, files read. */
const TO_LINE_END = new Set([..."aicrR#"]);
/** Commands whose label ends at `;` or a newline (`:a;e cmd` runs `cmd`). */
const LABELS = new Set([..."btT:"]);

/**
 * Reads a GNU sed script far enough to find what runs or writes: `e command`, the `e` and `w`
 * flags of `s`, and `w`/`W` files. Anything it cannot read counts as running a command, so a
 * script it misreads asks rather than allows.
 */
export function sedEffects(script: string): SedEffects {
  const writes: string[] = [];
  let at = 0;
  const lineEnd = () => {
    const end = script.indexOf("\n", at);
    const text = script.slice(at, end === -1 ? script.length : end);
    at = end === -1 ? script.length : end + 1;
    return text;
  };
  while (at < script.length) {
    const char = script[at]!;
    if (/[\s;]/.test(char)) {
      at++;
      continue;
    }
    const afterAddress = skipAddress(script, at);
    if (afterAddress === undefined) return UNREADABLE;
    at = afterAddress;
    while (/[\s!]/.test(script[at] ?? "")) at++;
    const command = script[at++];
    if (command === undefined) return UNREADABLE;
    if (PLAIN.has(command)) {
      while (/\d/.test(script[at] ?? "")) at++;
    } else if (TO_LINE_END.has(command)) lineEnd();
    else if (LABELS.has(command)) at = labelEnd(script, at);
    else if (command === "w" || command === "W") writes.push(lineEnd().trim());
    else if (command === "v") at = labelEnd(script, at);
    else if (command === "y") {
      const end = skipDelimited(script, at, 2);
      if (end === undefined) return UNREADABLE;
      at = end;
    } else if (command === "s") {
      const end = skipDelimited(script, at, 2);
      if (end === undefined) return UNREADABLE;
      at = end;
      while (at < script.length && /[0-9gpiImMe]/.test(script[at]!)) {
        if (script[at] === "e") return UNREADABLE;
        at++;
      }
      if (script[at] === "w") {
        at++;
        writes.push(lineEnd().trim());
      }
    } else return UNREADABLE;
  }
  return { runs: false, writes };
}

/** Skips an address (`3`, `$`, `/re/I`, `\cREc`, `first~step`, `addr,+N`), or undefined when malformed. */
function skipAddress(script: string, start: number): number | undefined {
  let at = start;
  for (let part = 0; part < 2; part++) {
    const char = script[at];
    if (char === "/" || char === "\\") {
      const delimiterAt = char === "\\" ? at + 1 : at;
      const end = skipDelimited(script, delimiterAt, 1);
      if (end === undefined) return undefined;
      at = end;
      while (/[IM]/.test(script[at] ?? "")) at++;
    } else if (char === "$") at++;
    else if (/[\d+~]/.test(char ?? "")) while (/[\d+~]/.test(script[at] ?? "")) at++;
    if (part === 0 && script[at] === ",") at++;
    else break;
  }
  return at;
}

/** Skips `parts` sections closed by the delimiter at `start` (`/a/b/` is 2), honouring `\`. */
function skipDelimited(script: string, start: number, parts: number): number | undefined {
  const delimiter = script[start];
  if (delimiter === undefined || delimiter === "\n" || delimiter === "\\") return undefined;
  let at = start + 1;
  for (let seen = 0; seen < parts; at++) {
    if (at >= script.length) return undefined;
    if (script[at] === "\\") at++;
    else if (script[at] === delimiter) seen++;
  }
  return at;
}

function labelEnd(script: string, start: number): number {
  let at = start;
  while (at < script.length && !/[;\n]/.test(script[at]!)) at++;
  return at;
}
