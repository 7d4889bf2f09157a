import type { ToolKind, ToolSpec } from "./schema.ts";

/** How the engine reads one tool's input. */
export interface ResolvedToolSpec {
  readonly primary: string | undefined;
  readonly paths: readonly string[];
  readonly kind: ToolKind;
  readonly shell: boolean;
}

const shell = (primary = "command"): ToolSpec => ({ primary, kind: "execute", shell: true });
const file = (kind: ToolKind, field = "file_path"): ToolSpec => ({
  primary: field,
  paths: [field],
  kind,
});

/** The built-in table: Claude Code's tools and the common MCP filesystem and shell tools. */
export const BUILTIN_TOOLS: Readonly<Record<string, ToolSpec>> = Object.freeze({
  Bash: shell(),
  bash: shell(),
  shell: shell(),
  run_command: shell(),
  execute_command: shell(),
  run_shell_command: shell(),
  Read: file("read"),
  Write: file("write"),
  Edit: file("write"),
  MultiEdit: file("write"),
  NotebookRead: file("read", "notebook_path"),
  NotebookEdit: file("write", "notebook_path"),
  Glob: { primary: "pattern", paths: ["path"], kind: "read" },
  Grep: { primary: "pattern", paths: ["path"], kind: "read" },
  LS: file("read", "path"),
  read_file: file("read", "path"),
  read_text_file: file("read", "path"),
  read_multiple_files: { primary: "paths", paths: ["paths[*]"], kind: "read" },
  list_directory: file("read", "path"),
  directory_tree: file("read", "path"),
  search_files: { primary: "path", paths: ["path"], kind: "read" },
  get_file_info: file("read", "path"),
  write_file: file("write", "path"),
  edit_file: file("write", "path"),
  create_directory: file("write", "path"),
  delete_file: file("write", "path"),
  move_file: { primary: "source", paths: ["source", "destination"], kind: "write" },
  WebFetch: { primary: "url", kind: "web" },
  WebSearch: { primary: "query", kind: "web" },
  web_fetch: { primary: "url", kind: "web" },
  web_search: { primary: "query", kind: "web" },
  fetch: { primary: "url", kind: "web" },
  code_execution: { primary: "code", kind: "code" },
  execute_code: { primary: "code", kind: "code" },
  run_python: { primary: "code", kind: "code" },
  python: { primary: "code", kind: "code" },
  r_code: { primary: "code", kind: "code" },
  TodoWrite: { kind: "other" },
  Task: { primary: "prompt", kind: "other" },
});

/** Field names treated as paths for any tool, so unknown file tools still get normalisation. */
export const PATH_FIELD_NAMES: ReadonlySet<string> = new Set([
  "file_path",
  "filePath",
  "notebook_path",
  "path",
  "paths",
  "source",
  "destination",
  "directory",
  "dir",
]);

/** Looks a tool up in the built-in table overlaid with a policy's own `tools` entries. */
export function resolveTool(
  name: string,
  overrides: Readonly<Record<string, ToolSpec>>,
): ResolvedToolSpec {
  const spec = overrides[name] ?? BUILTIN_TOOLS[name];
  return {
    primary: spec?.primary,
    paths: spec?.paths ?? [],
    kind: spec?.kind ?? "other",
    shell: spec?.shell ?? false,
  };
}

/** The tools a capability toggle governs, by kind. */
export function toolsOfKind(
  kind: ToolKind,
  overrides: Readonly<Record<string, ToolSpec>>,
): string[] {
  const names = new Set([...Object.keys(BUILTIN_TOOLS), ...Object.keys(overrides)]);
  return [...names].filter((name) => resolveTool(name, overrides).kind === kind).sort();
}
