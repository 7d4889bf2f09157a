// The inbox in real Chromium against a real server process, through the server's front: from its
// configured origin it works end to end (preflights, credentials, WebSockets); the same page
// served from another origin cannot read a single answer.
import { join } from "node:path";
import { createWardenClient, type WardenClient } from "@warden/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { launchBrowser, openInbox, serveInbox } from "../../web/tests/harness.ts";
import {
  createWorkspace,
  type ServerProcess,
  spawnServer,
  type Workspace,
} from "./server-process.ts";

const AGENT = "inbox-front-agent-token-0123456789";
const APPROVER = "inbox-front-approver-token-0123456789";

let workspace: Workspace;
let server: ServerProcess;
let endpoint: string;
let inbox: Awaited<ReturnType<typeof serveInbox>>;
let foreign: Awaited<ReturnType<typeof serveInbox>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: Awaited<ReturnType<typeof launchBrowser>>["context"];
let agent: WardenClient;

beforeAll(async () => {
  [inbox, foreign] = [await serveInbox(), await serveInbox()];
  workspace = await createWorkspace();
  const policy = await workspace.writeFile(
    "policy.yaml",
    "default_behavior: ask\nask:\n  timeout_seconds: 120\n",
  );
  const config = await workspace.writeConfig({
    allowedOrigins: [new URL(inbox.url).origin],
    policy: { default: policy },
    tokens: {
      [AGENT]: { id: "agent-1", role: "agent", projects: ["demo"] },
      [APPROVER]: { id: "alice", role: "approver", projects: ["demo"] },
    },
  });
  server = spawnServer(["--config", config], { pidFile: join(workspace.dir, "server.pid") });
  await server.waitFor(/listening on/, 60_000);
  endpoint = `http://127.0.0.1:${workspace.port}`;
  browser = await launchBrowser();
  context = browser.context;
  agent = createWardenClient({ endpoint, token: AGENT, project: "demo" });
}, 180_000);

afterAll(async () => {
  await agent?.dispose();
  await browser?.close();
  await inbox?.close();
  await foreign?.close();
  await workspace?.remove();
});

/** What a page's own script gets from the server: an answer, or the browser's CORS refusal. */
const readFromPage = (page: Awaited<ReturnType<typeof openInbox>>) =>
  page.evaluate(
    (url) =>
      fetch(`${url}/metadata`).then(
        (response) => `status ${response.status}`,
        () => "blocked",
      ),
    endpoint,
  );

test("the inbox on its configured origin shows a request and its click decides it", async () => {
  const page = await openInbox(context, inbox.url, {
    endpoint,
    token: APPROVER,
    project: "demo",
  });
  expect(await readFromPage(page)).toBe("status 200");
  const decision = agent.session("front-e2e").requestPermission({
    requestId: "front-e2e-1",
    toolName: "Bash",
    input: { command: "make front" },
  });
  decision.catch(() => undefined);
  const card = page.locator('article.card[data-request-id="front-e2e-1"]');
  await card.waitFor({ timeout: 60_000 });
  await card.getByRole("button", { name: "Allow once" }).click();
  await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
});

test("the same inbox served from another origin cannot read the server's answers", async () => {
  const page = await openInbox(context, foreign.url, {
    endpoint,
    token: APPROVER,
    project: "demo",
  });
  expect(await readFromPage(page)).toBe("blocked");
});
