// The MCP demo agent: a real MCP client (the SDK's) whose filesystem server runs behind
// `warden mcp`, as Claude Desktop or Claude Code would run it (docs/mcp.md). Each of its
// tools/calls is decided by Warden as mcp__filesystem__<tool>; under the demo's policy
// (examples/policies/dev.yaml) the rules do not name these tools, so they wait in the inbox.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { GATEWAY_BIN } from "@warden/mcp";

const FILESYSTEM_SERVER = fileURLToPath(
  import.meta.resolve("@modelcontextprotocol/server-filesystem/dist/index.js"),
);

/** Where the MCP agent's gateway finds Warden, and which round this is. */
export interface McpAgentOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly project: string;
  readonly round: number;
  readonly runId: string;
  readonly pauseMs: number;
}

const STEPS = (root: string) => [
  { name: "list_allowed_directories", arguments: {} },
  { name: "read_text_file", arguments: { path: join(root, "README.md") } },
  {
    name: "write_file",
    arguments: { path: join(root, "CHANGELOG.md"), content: "## 2.4.0\n- Cart quantities\n" },
  },
  { name: "read_text_file", arguments: { path: "/etc/hostname" } },
];

/** Runs one round of the MCP agent: a gateway in front of the filesystem server on a fresh directory. */
export async function runMcpAgent(options: McpAgentOptions): Promise<void> {
  const sessionId = `mcp-docs-${options.runId}-${options.round}`;
  const tag = `[${sessionId}]`;
  const root = mkdtempSync(join(tmpdir(), "acme-shop-mcp-"));
  mkdirSync(join(root, "src"));
  writeFileSync(join(root, "README.md"), "# acme-shop\nA small shop.\n");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      GATEWAY_BIN,
      ...["--project", options.project, "--session", sessionId, "--server", "filesystem"],
      ...["--cwd", root, "--", process.execPath, FILESYSTEM_SERVER, root],
    ],
    env: {
      ...(process.env as Record<string, string>),
      WARDEN_ENDPOINT: options.endpoint,
      WARDEN_TOKEN: options.token,
    },
    stderr: "ignore",
  });
  const client = new Client({ name: "warden-demo-mcp-agent", version: "1.0.0" });
  try {
    await client.connect(transport);
    console.log(`${tag} MCP client connected to the filesystem server through warden mcp`);
    for (const step of STEPS(root)) {
      console.log(`${tag} tools/call ${step.name} ${JSON.stringify(step.arguments)}`);
      const result = await client.callTool(step, undefined, {
        timeout: 600_000,
        resetTimeoutOnProgress: true,
        onprogress: () => undefined,
      });
      const text = (result.content as { type: string; text?: string }[])
        .map((c) => c.text ?? "")
        .join(" ")
        .slice(0, 120);
      console.log(`${tag}   ${result.isError ? "refused" : "ran"}: ${text}`);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  } catch (error) {
    console.log(`${tag}   failed: ${(error as Error).message}`);
  } finally {
    await client.close();
  }
}
