// @modelcontextprotocol/server-filesystem over Streamable HTTP: the server speaks only stdio, so it
// runs behind an HTTP wrapper made from the SDK's transports (fixtures/stdio-over-http.ts); the
// gateway (--listen/--upstream) sits in front of that, with examples/policies/mcp.yaml. The same
// cases as over stdio (fixtures/filesystem-cases.ts).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { filesystemCases, filesystemRoot } from "./fixtures/filesystem-cases.ts";
import {
  gatewayEnv,
  POLICY,
  startFilesystemHttpServer,
  startHttpGatewayProcess,
  TOKENS,
  watchInbox,
} from "./fixtures/setup.ts";

const root = filesystemRoot();
let warden: TestWarden;
let inbox: Awaited<ReturnType<typeof watchInbox>>;
let upstream: Awaited<ReturnType<typeof startFilesystemHttpServer>>;
let gateway: Awaited<ReturnType<typeof startHttpGatewayProcess>>;
let client: Client;

beforeAll(async () => {
  warden = await startTestWarden({ tokens: TOKENS, policy: POLICY });
  inbox = await watchInbox(warden.endpoint, "fs");
  upstream = await startFilesystemHttpServer(root);
  gateway = await startHttpGatewayProcess(
    [
      ...["--project", "fs", "--server", "filesystem", "--cwd", root],
      ...["--listen", "127.0.0.1:0", "--upstream", upstream.url],
    ],
    gatewayEnv(warden.endpoint),
  );
  client = new Client({ name: "fs-http-client", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url)));
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
  upstream?.stop();
  await inbox?.approver.dispose();
  await warden?.stop();
});

describe("HTTP gateway in front of @modelcontextprotocol/server-filesystem (behind an SDK HTTP wrapper) with examples/policies/mcp.yaml", () => {
  filesystemCases({
    root,
    client: () => client,
    nextRequest: (match) => inbox.next(match),
    inbox: () => inbox.approver.inbox(),
  });
});
