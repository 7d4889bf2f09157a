/**
 * A server name as Warden's tool names use it: lower case, `[a-z0-9_-]` only, no `__` (the
 * separator in `mcp__<server>__<tool>`), so that a rule like `mcp__github__*` can name it.
 * @example normalizeServerName("GitHub MCP Server") // "github_mcp_server"
 */
export function normalizeServerName(name: string): string {
  const normalized = name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/_{2,}/g, "_")
    .replace(/^[_-]+|[_-]+$/g, "");
  return normalized === "" ? "server" : normalized;
}

/** The name Warden's rules see for one MCP tool: `mcp__<server>__<tool>`. */
export function wardenToolName(server: string, tool: string): string {
  return `mcp__${server}__${tool}`;
}

/** A tool name as MCP specifies it (SEP-986): 1–128 of `A-Z a-z 0-9 _ - .`. */
const MCP_TOOL_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Why calls of this tool are refused whatever the policy says, or undefined. A server names its
 * own tools, so a name holding `mcp__` could pass for another server's tool in a rule that does
 * not anchor its regex (`/mcp__github__.*\/` matches `mcp__evil__x_mcp__github__merge`); and a
 * name outside MCP's characters (newlines, bidi controls, look-alikes) could mislead an approver.
 */
export function toolNameProblem(tool: string): string | undefined {
  if (!MCP_TOOL_NAME.test(tool))
    return "its name is not an MCP tool name (1-128 of A-Z a-z 0-9 _ - .)";
  if (/mcp__/i.test(tool)) return "its name holds mcp__ and could pass for another server's tool";
  return undefined;
}
