import { fileURLToPath } from "node:url";

/** The `warden-mcp` executable (run it with `node`), for programs that start a gateway as a child. */
export const GATEWAY_BIN = fileURLToPath(new URL("../bin/warden-mcp.mjs", import.meta.url));
