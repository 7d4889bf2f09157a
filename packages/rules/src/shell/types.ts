/**
 * Why a shell command cannot be vouched for: any of these caps the decision at ask.
 * `parameter_transform` (`${x@P}`…), `indirect_expansion` (`${!x}`), `arithmetic` (names in
 * `$(( ))`, subscripts, offsets, `let`, `[[ -eq ]]`) and `dynamic_name` (builtins assigning
 * through a name that is not literal) are the places bash turns a variable's value into code.
 */
export type ShellUncertainty =
  | "parse_error"
  | "command_substitution"
  | "process_substitution"
  | "eval"
  | "nested_shell"
  | "xargs"
  | "find_exec"
  | "argument_runs_program"
  | "network_redirect"
  | "unknown_wrapper"
  | "dynamic_command"
  | "dangerous_environment"
  | "parameter_transform"
  | "indirect_expansion"
  | "arithmetic"
  | "dynamic_name"
  | "too_complex";

/** One simple command, after looking through known wrappers. */
export interface ShellCommand {
  /** The words as text (quotes removed, expansions kept as written, e.g. `$HOME`). */
  readonly argv: readonly string[];
  /** `argv` joined by single spaces: what a `Bash(...)` primary-argument glob is matched against. */
  readonly text: string;
  /** Other spellings of the same command that deny rules must also see (e.g. `/tmp/x/rm -rf a` → `rm -rf a`). */
  readonly aliases: readonly string[];
  /**
   * For a program run by a package runner (`npx prettier --write .` runs `prettier --write .`):
   * the runner's command line, and the same line with the program's word replaced by a word no
   * rule names. An allow rule that matches `text` but not `probe` names the program itself, so
   * it allows the program as well as the runner; `Bash(npx *)` does not. Deny rules see the
   * program whatever this says.
   */
  readonly grant?: { readonly text: string; readonly probe: string };
}

/** A redirection that writes to a file. */
export interface ShellWrite {
  /** The target as written, resolved against a literal preceding `cd` when there was one. */
  readonly path: string;
  /** True when the target contains an expansion and its value cannot be known. */
  readonly dynamic: boolean;
  /**
   * Set when the program's own job is this write (`cp a ~/.bashrc`): an allow rule for the program
   * grants it, so Write allow rules are not needed, but protected paths and deny or ask Write
   * rules still apply.
   */
  readonly placed?: true;
  /**
   * Set on a placed write that may be a whole directory tree rooted at `path` (`cp -r dir/. ~`,
   * `tar -x -C ~`, `mv dir ~/.config`): protected paths see every file the tree may hold, so it
   * asks when the root contains or is inside a protected place.
   */
  readonly tree?: true;
  /**
   * Set on a tree that is a git work tree a checkout, reset, merge or pull rewrites: git refuses
   * any `.git` path component, so only protected places anchored at home or the root count (a
   * home kept in git: `git -C ~ checkout .` rewrites `~/.bashrc`).
   */
  readonly workTree?: true;
}

/** What a command line would run, as far as a parser can see without executing it. */
export interface ShellAnalysis {
  readonly commands: readonly ShellCommand[];
  readonly writes: readonly ShellWrite[];
  readonly uncertain: readonly ShellUncertainty[];
}
