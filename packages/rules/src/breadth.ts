import { type Pattern, parsePattern } from "./pattern.ts";
import { BUILTIN_TOOLS } from "./tools.ts";

/** Why an allow rule may grant more than it looks like it does. */
export type BreadthCode =
  | "matches_every_tool"
  | "any_shell_command"
  | "interpreter"
  | "script_runner"
  | "privilege_escalation"
  | "any_subcommand"
  | "all_files"
  | "all_mcp_tools"
  | "mcp_server_wide";

/** One breadth warning, with how serious it is. */
export interface BreadthWarning {
  readonly code: BreadthCode;
  readonly severity: "danger" | "broad";
  readonly message: string;
}

const INTERPRETERS = new Set([
  "python",
  "python2",
  "python3",
  "node",
  "deno",
  "bun",
  "ruby",
  "perl",
  "php",
  "lua",
  "Rscript",
  "R",
  "bash",
  "sh",
  "zsh",
  "dash",
  "fish",
  "pwsh",
  "powershell",
  "osascript",
  "tclsh",
  "irb",
]);
const RUNNERS = [
  "npm run",
  "npm exec",
  "npx",
  "pnpm",
  "pnpm run",
  "pnpm exec",
  "pnpm dlx",
  "yarn",
  "yarn run",
  "yarn dlx",
  "bun run",
  "bunx",
  "make",
  "just",
  "cargo run",
  "go run",
  "uv run",
  "uvx",
  "poetry run",
  "pipx run",
  "gradle",
  "mvn",
  "rake",
  "task",
  "docker run",
  "docker exec",
  "kubectl exec",
];
const PRIVILEGE = new Set(["sudo", "doas", "su", "pkexec", "runuser"]);
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

/** Flags an allow pattern that grants dangerous breadth: `Bash(*)`, interpreters, `sudo`, `Read(*)`… */
export function assessBreadth(patternText: string): BreadthWarning[] {
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
    const globs =
      glob !== undefined
        ? [glob]
        : args.kind === "fields"
          ? args.conditions.filter((c) => c.op === "~").map((c) => c.value)
          : [];
    if (args.kind === "any" || globs.some((g) => /^(?:\/|~\/)?\*+\/?(?:\*+)?$/.test(g))) {
      warnings.push(warn("all_files", "danger", "covers every file"));
    }
  }
  return warnings;
}

function assessCommandGlob(glob: string): BreadthWarning[] {
  const warnings: BreadthWarning[] = [];
  const words = glob.trim().split(/\s+/);
  const program = (words[0] ?? "").replace(/^.*\//, "");
  const wildcard = /[*?]/.test(glob);
  if (PRIVILEGE.has(program)) {
    warnings.push(
      warn("privilege_escalation", "danger", `${program} runs commands as another user`),
    );
  }
  if (INTERPRETERS.has(program) || /^python\d/.test(program)) {
    warnings.push(
      wildcard
        ? warn("interpreter", "danger", `${program} with any arguments runs arbitrary code`)
        : warn(
            "interpreter",
            "broad",
            `${program} runs a program whose content can change after approval`,
          ),
    );
  }
  const runner = RUNNERS.find(
    (r) => glob === `${r} *` || glob === `${r}*` || glob.startsWith(`${r} *`),
  );
  if (runner) {
    warnings.push(
      warn("script_runner", "danger", `${runner} with any arguments runs any script or package`),
    );
  } else if (wildcard && words.length <= 2 && words[1] === "*" && !INTERPRETERS.has(program)) {
    warnings.push(
      warn(
        "any_subcommand",
        "broad",
        `allows every ${program} subcommand, including destructive ones`,
      ),
    );
  }
  return warnings;
}
