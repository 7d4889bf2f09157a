import { assessCommandGlob, type CommandBreadthCode } from "./breadth-commands.ts";
import { assessPathGlob, type PathBreadthCode } from "./breadth-paths.ts";
import type { PathContext } from "./path.ts";
import { type Pattern, parsePattern } from "./pattern.ts";
import { BUILTIN_TOOLS, resolveTool } from "./tools.ts";

/** Why an allow rule may grant more than it looks like it does. */
export type BreadthCode =
  | "matches_every_tool"
  | "any_shell_command"
  | "all_files"
  | "all_mcp_tools"
  | "mcp_server_wide"
  | CommandBreadthCode
  | PathBreadthCode;

/** One breadth warning, with how serious it is. */
export interface BreadthWarning {
  readonly code: BreadthCode;
  readonly severity: "danger" | "broad";
  readonly message: string;
}

const FILE_TOOLS = new Set(
  Object.entries(BUILTIN_TOOLS)
    .filter(([, spec]) => (spec.paths?.length ?? 0) > 0)
    .map(([name]) => name),
);
const SHELL_TOOLS = new Set(
  Object.entries(BUILTIN_TOOLS)
    .filter(([, spec]) => spec.shell)
    .map(([name]) => name),
);

const warn = (
  code: BreadthCode,
  severity: BreadthWarning["severity"],
  message: string,
): BreadthWarning => ({
  code,
  severity,
  message,
});

/**
 * Flags an allow pattern that grants more than it seems: `Bash(*)`, interpreters, `sudo`, a `*`
 * after a command with destructive flags (`git push *` covers `--force`), file rules covering a
 * home directory, credentials, system directories or the whole filesystem. `context` (the
 * session's cwd and home) makes path findings exact; without it they assume a typical layout.
 */
export function assessBreadth(patternText: string, context: PathContext = {}): BreadthWarning[] {
  let pattern: Pattern;
  try {
    pattern = parsePattern(patternText);
  } catch {
    return [];
  }
  const warnings: BreadthWarning[] = [];
  const { tool, args } = pattern;
  if (
    (tool.kind === "glob" && /^[*?]+$/.test(tool.glob)) ||
    (tool.kind === "regex" && /^\^?\.[*+]\$?$/.test(tool.source))
  ) {
    warnings.push(warn("matches_every_tool", "danger", "matches every tool"));
  }
  if (tool.kind === "glob" && /^mcp__\*+$/.test(tool.glob)) {
    warnings.push(warn("all_mcp_tools", "danger", "matches every tool of every MCP server"));
  } else if (tool.kind === "glob" && /^mcp__[^*]+__\*+$/.test(tool.glob)) {
    warnings.push(
      warn(
        "mcp_server_wide",
        "broad",
        "matches every tool of this MCP server, including ones added later",
      ),
    );
  }

  const names =
    tool.kind === "exact"
      ? [tool.name]
      : tool.kind === "regex"
        ? [...SHELL_TOOLS].filter((n) => tool.source.includes(n))
        : [];
  const isShell = names.some((name) => SHELL_TOOLS.has(name));
  const isFile = names.some((name) => FILE_TOOLS.has(name));
  const glob = args.kind === "primary" ? args.glob : undefined;

  if (isShell) {
    if (args.kind === "any" || (glob !== undefined && /^\*+$/.test(glob))) {
      warnings.push(warn("any_shell_command", "danger", "allows any shell command"));
    } else if (glob !== undefined) {
      warnings.push(...assessCommandGlob(glob));
    }
  }
  if (isFile) {
    const spec = resolveTool(names.find((name) => FILE_TOOLS.has(name))!, {});
    const primaryIsPath =
      spec.primary !== undefined &&
      (spec.paths.includes(spec.primary) || spec.paths.includes(`${spec.primary}[*]`));
    const globs =
      glob !== undefined
        ? primaryIsPath
          ? [glob]
          : []
        : args.kind === "fields"
          ? args.conditions
              .filter((c) => (c.op === "~" || c.op === "=") && spec.paths.includes(printPath(c)))
              .map((c) => (c.op === "=" ? escapeGlob(c.value) : c.value))
          : [];
    if (args.kind === "any" || globs.some((g) => /^\*+\/?(?:\*+)?$/.test(g))) {
      warnings.push(warn("all_files", "danger", "covers every file"));
    }
    const seen = new Set<string>(warnings.map((w) => w.code));
    for (const g of globs) {
      for (const finding of assessPathGlob(g, spec.kind, context)) {
        if (seen.has(finding.code) || seen.has("all_files")) continue;
        seen.add(finding.code);
        warnings.push(finding);
      }
    }
  }
  return warnings;
}

const printPath = (condition: { path: readonly { kind: string; name?: string }[] }) =>
  condition.path.length === 1 && condition.path[0]!.kind === "key" ? condition.path[0]!.name! : "";
const escapeGlob = (text: string) => text.replace(/[*?[\]{}\\]/g, "\\$&");
