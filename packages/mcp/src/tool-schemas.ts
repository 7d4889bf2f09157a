// An approver may edit a call's arguments in Warden; the server re-checks its deny rules on the
// edit (packages/server/src/reply-resolution.ts), but only the upstream tool knows what arguments
// it takes. The gateway checks an edit against the tool's own `inputSchema` (from tools/list) with
// the MCP SDK's validator, and forwards nothing it cannot check: a tool it has no schema for, a
// schema that does not compile.
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { ListToolsResultSchema } from "@modelcontextprotocol/sdk/types.js";
import type { JsonSchemaType, JsonSchemaValidator } from "@modelcontextprotocol/sdk/validation";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";

/** A tool's compiled input schema, or why edits of its calls cannot be checked. */
type Check = { readonly validate: JsonSchemaValidator<unknown> } | { readonly problem: string };

/** The input schemas of the upstream's tools, as the last tools/list pages gave them. */
export class ToolSchemas {
  readonly #checks = new Map<string, Check>();

  /**
   * Compiles the schemas of one tools/list result, once each (a page of a paginated list adds to
   * the pages before it; a tool listed again is replaced). Not a valid list: nothing learnt.
   */
  learn(result: unknown): void {
    const parsed = ListToolsResultSchema.safeParse(result);
    if (!parsed.success) return;
    // A validator of its own per list: Ajv caches a schema by its `$id`, so a tool's changed
    // schema must not be answered from an earlier list's cache.
    const validator = new AjvJsonSchemaValidator();
    const ids = new Set<string>();
    // The tools as the server sent them: the SDK's parse may drop keys of a schema it does not know.
    for (const tool of (result as { tools: Tool[] }).tools) {
      this.#checks.set(tool.name, compile(validator, tool.inputSchema, ids));
    }
  }

  /** The upstream said its tools changed: no schema is trusted until the client lists again. */
  forget(): void {
    this.#checks.clear();
  }

  /** Why these edited arguments must not be forwarded to `tool`, or undefined when they fit. */
  editProblem(tool: string, input: Record<string, unknown>): string | undefined {
    const check = this.#checks.get(tool);
    if (!check)
      return "the gateway has no input schema for this tool to check them against (no tools/list in this session listed it since the server's tools last changed); list the tools and call again";
    if ("problem" in check) return check.problem;
    const result = check.validate(input);
    return result.valid
      ? undefined
      : `they do not fit the tool's input schema: ${result.errorMessage}`;
  }
}

function compile(
  validator: AjvJsonSchemaValidator,
  schema: Tool["inputSchema"],
  ids: Set<string>,
): Check {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id === "string") {
    // Ajv would check a second tool of this list against the first one's schema.
    if (ids.has(id)) return { problem: `its input schema's $id ${id} is another tool's too` };
    ids.add(id);
  }
  try {
    return { validate: validator.getValidator(schema as JsonSchemaType) };
  } catch (error) {
    const why = error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : "";
    return { problem: `the tool's input schema cannot be compiled to check them (${why})` };
  }
}
