import type { Assignment, DoubleQuotedChild, Word, WordPart } from "unbash";

/** A command-line word after quote removal, with what a parser can tell about its runtime value. */
export interface Arg {
  readonly text: string;
  /** The text is the exact runtime value: no expansion, glob or brace expansion. */
  readonly literal: boolean;
  /** Nothing but expansions: no literal text a nested parse could see. */
  readonly opaque: boolean;
  readonly braces: boolean;
  /** An unquoted expansion or glob: one word as written may become several, or look like an option. */
  readonly split: boolean;
  /** Parsed by the shell as an assignment (`declare a=$x`): its value is never split or re-read. */
  readonly assignment?: boolean;
}

const DYNAMIC = 1;
const PATTERN = 2;
const BRACE = 4;
const CONTENT = 8;
const SPLIT = 16;

const MAYBE_SPECIAL = /[$`*?[{(]/;

/** Makes an argument whose text is known exactly. */
export function literalArg(text: string): Arg {
  return { text, literal: true, opaque: false, braces: false, split: false };
}

/** Makes an argument from a parsed word, keeping expansions as written. */
export function wordArg(word: Word): Arg {
  const text = word.value;
  if (!MAYBE_SPECIAL.test(word.text) || !word.parts) return literalArg(text);
  return argFromFlags(text, partFlags(word.parts));
}

/** Makes an argument from an assignment word such as `NAME=value` or `a[i]+=(x y)`. */
export function assignmentArg(assignment: Assignment): Arg {
  let flags = CONTENT;
  let key = assignment.name;
  if (assignment.index) {
    flags |= wordFlags(assignment.index);
    key += `[${assignment.index.value}]`;
  }
  key += assignment.append ? "+=" : "=";
  const value = assignment.value;
  if (value.type === "Word") {
    flags |= wordFlags(value);
    return { ...argFromFlags(key + value.value, flags & ~SPLIT), assignment: true };
  }
  const elements: string[] = [];
  for (const element of value.elements) {
    flags |= wordFlags(element);
    elements.push(element.value);
  }
  return { ...argFromFlags(`${key}(${elements.join(" ")})`, flags & ~SPLIT), assignment: true };
}

function argFromFlags(text: string, flags: number): Arg {
  return {
    text,
    literal: (flags & (DYNAMIC | PATTERN | BRACE)) === 0,
    opaque: (flags & (DYNAMIC | CONTENT)) === DYNAMIC,
    braces: (flags & BRACE) !== 0,
    split: (flags & SPLIT) !== 0,
  };
}

function wordFlags(word: Word): number {
  if (!MAYBE_SPECIAL.test(word.text) || !word.parts) return CONTENT;
  return partFlags(word.parts);
}

function partFlags(parts: readonly (WordPart | DoubleQuotedChild)[], quoted = false): number {
  let flags = 0;
  for (const part of parts) {
    switch (part.type) {
      case "Literal":
      case "SingleQuoted":
      case "AnsiCQuoted":
        flags |= CONTENT;
        break;
      case "DoubleQuoted":
      case "LocaleString":
        flags |= part.parts.length === 0 ? CONTENT : partFlags(part.parts, true);
        break;
      case "Glob":
      case "ExtendedGlob":
        flags |= PATTERN | CONTENT | SPLIT | (part.parts ? partFlags(part.parts) : 0);
        break;
      case "BraceExpansion":
        flags |= BRACE | CONTENT | SPLIT | (part.parts ? partFlags(part.parts) : 0);
        break;
      default:
        flags |= quoted ? DYNAMIC : DYNAMIC | SPLIT;
    }
  }
  return flags;
}
