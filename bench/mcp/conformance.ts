// `pnpm --filter @warden/mcp conformance`: runs @modelcontextprotocol/conformance's server suite
// against the conformance fixture server straight and through the HTTP gateway (a Warden project
// whose policy allows everything), so that the two summaries can be compared (docs/mcp.md).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { policySource } from "@warden/rules";
import { startTestWarden } from "@warden/server/testing";
import { startHttpGatewayProcess } from "../../packages/mcp/tests/fixtures/setup.ts";

const CONFORMANCE = "@modelcontextprotocol/conformance@0.1.16";
const SERVER = fileURLToPath(
  new URL("../../packages/mcp/tests/fixtures/conformance-server.ts", import.meta.url),
);

const fixture = spawn(process.execPath, ["--import", "tsx", SERVER], {
  stdio: ["ignore", "pipe", "inherit"],
});
const url = await new Promise<string>((resolve) => {
  fixture.stdout.on("data", (data: Buffer) => {
    const port = /listening (\d+)/.exec(data.toString())?.[1];
    if (port) resolve(`http://127.0.0.1:${port}/mcp`);
  });
});
const warden = await startTestWarden({
  tokens: { "conformance-agent": { id: "conformance", role: "agent", projects: ["conformance"] } },
  policy: { defaultProject: policySource({ default_behavior: "allow", rules: [] }) },
});
const gateway = await startHttpGatewayProcess(
  [
    "--project",
    "conformance",
    "--server",
    "conformance",
    "--listen",
    "127.0.0.1:0",
    "--upstream",
    url,
  ],
  {
    ...(process.env as Record<string, string>),
    WARDEN_ENDPOINT: warden.endpoint,
    WARDEN_TOKEN: "conformance-agent",
  },
);
try {
  for (const [name, target] of [
    ["the fixture server alone", url],
    ["through the gateway", gateway.url],
  ] as const) {
    process.stdout.write(`\n### ${name}\n`);
    const suite = spawn("npx", ["-y", CONFORMANCE, "server", "--url", target], {
      stdio: "inherit",
    });
    await new Promise((resolve) => suite.once("exit", resolve));
  }
} finally {
  await gateway.stop();
  fixture.kill();
  await warden.stop();
}
process.exit(0);
