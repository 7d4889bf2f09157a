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
