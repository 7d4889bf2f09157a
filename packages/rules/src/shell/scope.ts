import { isAnchored, joinPath } from "./paths.ts";
import type { Input } from "./stdin-code.ts";
import type { Arg } from "./words.ts";

/**
 * Where the commands being walked run: the working directory as far as the analysis can follow it
 * through `cd`, and the standard input the command line feeds them.
 */
export interface Scope {
  /** The dir set by the last literal `cd`, or undefined while still the starting dir. */
  dir: string | undefined;
  /** A `cd` had a target the analysis cannot know, or ran only conditionally. */
  dynamic: boolean;
  /** Input fed by a pipe or a here-doc around these commands (`{ python3; } <<< code`), if any. */
  input?: Input;
}

/** Builds the scope a command line starts in. */
export function startScope(): Scope {
  return { dir: undefined, dynamic: false };
}

/** Copies a scope for a subshell, whose `cd` does not leak out. */
export function forkScope(scope: Scope): Scope {
  return { dir: scope.dir, dynamic: scope.dynamic, input: scope.input };
}

/** Whether a `cd` moved one scope away from another. */
export function scopeMoved(scope: Scope, from: Scope): boolean {
  return scope.dir !== from.dir || scope.dynamic !== from.dynamic;
}

/** Applies a `cd`, `pushd` or `popd` command line (its argv, program first) to the scope. */
export function changeDir(scope: Scope, argv: readonly Arg[]): void {
  const program = argv[0]?.text;
  let index = 1;
  while (index < argv.length && /^-[LPe@]+$/.test(argv[index]!.text)) index++;
  if (argv[index]?.text === "--") index++;
  const operands = argv.slice(index);
  const target = operands[0];
  if (program === "popd" || operands.length > 1) {
    scope.dynamic = true;
    return;
  }
  if (!target) {
    if (program === "cd") enterDir(scope, "~");
    else scope.dynamic = true;
    return;
  }
  if (!target.literal || target.text === "-" || /^[+-]\d/.test(target.text)) {
    scope.dynamic = true;
    return;
  }
  enterDir(scope, target.text);
}

function enterDir(scope: Scope, dir: string): void {
  if (isAnchored(dir)) {
    scope.dir = dir;
    scope.dynamic = false;
    return;
  }
  if (scope.dynamic) return;
  scope.dir = scope.dir === undefined ? dir : joinPath(scope.dir, dir);
}
