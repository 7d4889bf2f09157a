// Warden for the MCP bench, in its own process as in a real setup: the bench's process then runs
// only the MCP clients, so that the audit of the gateway's local decisions (batches the Warden
// server and its engine record while calls go on) does not run on the clients' event loop.
// Usage: warden-server.ts <agent token>; prints "endpoint <url> storage <dir>"; stops (with its
// engine) on SIGTERM. RivetKit's own SIGTERM handler may end the process before that stop has
// stopped the engine (it leaves the engine running on purpose), so the bench stops the engine of
// `<dir>` itself once this process is gone.
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
process.stdout.write(`endpoint ${warden.endpoint} storage ${warden.slot.storagePath}\n`);
