import { runGateway, USAGE } from "@warden/mcp";
import type { Command } from "../command.ts";
import type { Io } from "../io.ts";

/** `warden mcp`: Warden in front of an MCP server; the gateway itself lives in @warden/mcp. */
export const mcpCommand: Command = {
  name: "mcp",
  summary: "put Warden in front of an MCP server (stdio or Streamable HTTP)",
  usage: USAGE,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const code = await runGateway(argv, { ...io, env: process.env, cwd: io.cwd ?? process.cwd() });
    // A gateway is done when its connection is; RivetKit's client keeps timers alive after dispose.
    process.exit(code);
  },
};
