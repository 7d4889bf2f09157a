// The input shapes of the Claude Agent SDK's built-in tools (from the SDK's `sdk-tools.d.ts`),
// as far as an approver's edit can break them. An edited input goes back to the SDK as
// `updatedInput` and the tool runs it as it reads it: a `command` that is a number, an
// `old_string` that went missing, a `replace_all` of "false" (a truthy string) would be misread or
// fail inside the agent. The adapter denies such an edit instead, with a message saying why.

type FieldType = "string" | "number" | "boolean" | "string[]" | readonly string[];

interface ToolShape {
  readonly required: Readonly<Record<string, FieldType>>;
  readonly optional: Readonly<Record<string, FieldType>>;
}

const READ: ToolShape = {
  required: { file_path: "string" },
  optional: { offset: "number", limit: "number", pages: "string", allow_large: "boolean" },
};

/** The SDK's built-in tools whose inputs Warden checks; any other tool's edit is passed as it is. */
const SHAPES: Readonly<Record<string, ToolShape>> = {
  Bash: {
    required: { command: "string" },
    optional: {
      timeout: "number",
      description: "string",
      run_in_background: "boolean",
      dangerouslyDisableSandbox: "boolean",
    },
  },
  Read: READ,
  Write: { required: { file_path: "string", content: "string" }, optional: {} },
  Edit: {
    required: { file_path: "string", old_string: "string", new_string: "string" },
    optional: { replace_all: "boolean" },
  },
  NotebookEdit: {
    required: { notebook_path: "string", new_source: "string" },
    optional: {
      cell_id: "string",
      cell_type: ["code", "markdown"],
      edit_mode: ["replace", "insert", "delete"],
    },
  },
  Glob: { required: { pattern: "string" }, optional: { path: "string" } },
  Grep: {
    required: { pattern: "string" },
    optional: {
      path: "string",
      glob: "string",
      output_mode: ["content", "files_with_matches", "count"],
      "-B": "number",
      "-A": "number",
      "-C": "number",
      context: "number",
      "-n": "boolean",
      "-i": "boolean",
      "-o": "boolean",
      type: "string",
      head_limit: "number",
      offset: "number",
      multiline: "boolean",
    },
  },
  WebFetch: { required: { url: "string", prompt: "string" }, optional: { offset: "number" } },
  WebSearch: {
    required: { query: "string" },
    optional: { allowed_domains: "string[]", blocked_domains: "string[]" },
  },
};

function fits(value: unknown, type: FieldType): boolean {
  if (typeof type !== "string") return typeof value === "string" && type.includes(value);
  if (type === "string[]")
    return Array.isArray(value) && value.every((item) => typeof item === "string");
  if (type === "number") return typeof value === "number" && Number.isFinite(value);
  return typeof value === type;
}

function typeName(type: FieldType): string {
  if (typeof type === "string") return type === "string[]" ? "a list of strings" : `a ${type}`;
  return `one of ${type.map((v) => JSON.stringify(v)).join(", ")}`;
}

/**
 * What is wrong with an approver's edit of a built-in tool's input, or `undefined` when the tool
 * reads it as meant (or Warden does not know the tool). Every required field is there and every
 * known field has its type; a key the tool does not know is refused unless the agent's own input
 * had it (a newer SDK may send fields this table does not list yet).
 * @example editedInputProblem("Bash", { command: "ls" }, { command: 1 }) // "command must be a string"
 */
export function editedInputProblem(
  toolName: string,
  original: Record<string, unknown>,
  edited: Record<string, unknown>,
): string | undefined {
  const shape = Object.hasOwn(SHAPES, toolName) ? SHAPES[toolName] : undefined;
  if (!shape) return undefined;
  for (const [key, type] of Object.entries(shape.required)) {
    if (!Object.hasOwn(edited, key)) return `${key} is missing`;
    if (!fits(edited[key], type)) return `${key} must be ${typeName(type)}`;
  }
  for (const [key, value] of Object.entries(edited)) {
    if (Object.hasOwn(shape.required, key)) continue;
    const type = Object.hasOwn(shape.optional, key) ? shape.optional[key] : undefined;
    if (type === undefined) {
      if (!Object.hasOwn(original, key)) return `${key} is not a field of ${toolName}`;
      continue;
    }
    if (!fits(value, type)) return `${key} must be ${typeName(type)}`;
  }
  return undefined;
}
