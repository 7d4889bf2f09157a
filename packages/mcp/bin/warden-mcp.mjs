#!/usr/bin/env node
// `warden-mcp`: Warden in front of an MCP server. Plain JavaScript so that an MCP client can start
// it with `node /path/to/warden-mcp.mjs` from any directory; it loads the TypeScript with tsx.
import { register } from "tsx/esm/api";

register();
const { runGateway } = await import("../src/cli.ts");
process.exitCode = await runGateway(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// A stdio gateway is done when its connection is: do not wait for idle sockets or timers.
process.exit();
