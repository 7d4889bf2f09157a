/** At most this many words come out of one expansion: a longer one is cut short. */
export const MAX_BRACE_WORDS = 64;
const MAX_LENGTH = 1024;

interface BraceGroup {
  readonly start: number;
  readonly end: number;
  readonly alternatives: readonly string[];
}

/** Expands comma brace groups (`{rm,-rf,/}` → `rm`, `-rf`, `/`); sequences and long words stay as written. */
export function expandBraces(text: string): string[] {
  if (text.length > MAX_LENGTH) return [text];
  const words: string[] = [];
  expandInto(text, words);
  return words;
}

function expandInto(text: string, words: string[]): void {
  if (words.length >= MAX_BRACE_WORDS) return;
  const group = findGroup(text);
  if (!group) {
    words.push(text);
    return;
  }
  const head = text.slice(0, group.start);
  const tail = text.slice(group.end + 1);
  for (const alternative of group.alternatives) expandInto(head + alternative + tail, words);
}

function findGroup(text: string): BraceGroup | undefined {
  for (let open = text.indexOf("{"); open !== -1; open = text.indexOf("{", open + 1)) {
    if (text[open - 1] === "$") continue;
    const commas: number[] = [];
    let depth = 0;
    for (let index = open; index < text.length; index++) {
      const char = text[index];
      if (char === "{") depth++;
      else if (char === "," && depth === 1) commas.push(index);
      else if (char === "}" && --depth === 0) {
        if (commas.length > 0)
          return { start: open, end: index, alternatives: split(text, open, index, commas) };
        break;
      }
    }
  }
  return undefined;
}

function split(text: string, open: number, close: number, commas: readonly number[]): string[] {
  const bounds = [open, ...commas, close];
  return bounds.slice(1).map((end, index) => text.slice(bounds[index]! + 1, end));
}
