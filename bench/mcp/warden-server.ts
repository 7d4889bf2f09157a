// Warden for the MCP bench, in its own process as in a real setup: the bench's process then runs
// only the MCP clients, so that the audit of the gateway's local decisions (batches the Warden
// server and its engine record while calls go on) does not run on the clients' event loop.
// Usage: warden-server.ts <agent token>; prints "endpoint <url>"; stops (with its engine) on SIGTERM.
import { policySource } from "@warden/rules";
import { startTestWarden } from "@warden/server/testing";

const token = process.argv[2]!;
const warden = await startTestWarden({
  tokens: { [token]: { id: "bench", role: "agent", projects: ["bench"] } },
  policy: {
    defaultProject: policySource({ rules: [{ tool: "mcp__rec__echo", behavior: "allow" }] }),
  },
});
process.once("SIGTERM", () => {
  void warden.stop().finally(() => process.exit(0));
});
process.stdout.write(`endpoint ${warden.endpoint}\n`);
