// A real Warden server on its own engine, the inbox built and served by Vite, and Debian's
// Chromium driven by playwright-core with a fresh profile.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWardenClient, type WardenClient } from "@warden/client";
import { policySource } from "@warden/rules";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, afterEach, beforeAll } from "vitest";

export const APP_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const ARTIFACTS = join(APP_ROOT, "test-results");
export const CHROMIUM = process.env.WARDEN_CHROMIUM ?? "/usr/bin/chromium";

export const TOKENS = {
  agent: "agent-token",
  alice: "alice-token",
  bob: "bob-token",
} as const;

/** Projects: `main` asks for two minutes, `short` times out after a few seconds. */
export const SHORT_TIMEOUT_S = 8;

export function startServer(): Promise<TestWarden> {
  const asking = (timeout: number) =>
    policySource({
      ask: { timeout_seconds: timeout },
      rules: [
        { tool: "Read", behavior: "allow" },
        { tool: "Bash(rm *)", behavior: "deny", message: "No deleting." },
      ],
    });
  return startTestWarden({
    tokens: {
      [TOKENS.agent]: { id: "agent-1", role: "agent", projects: "*" },
      [TOKENS.alice]: { id: "alice", role: "approver", projects: "*" },
      [TOKENS.bob]: { id: "bob", role: "approver", projects: "*" },
    },
    policy: { projects: { short: asking(SHORT_TIMEOUT_S) }, defaultProject: asking(120) },
  });
}

/** Builds the inbox into a temporary directory and serves it as production would. */
export async function serveInbox(): Promise<{ url: string; close(): Promise<void> }> {
  const outDir = mkdtempSync(join(tmpdir(), "warden-web-"));
  await build({ root: APP_ROOT, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const server: PreviewServer = await preview({
    root: APP_ROOT,
    logLevel: "warn",
    build: { outDir },
    preview: { port: 0, strictPort: false, host: "127.0.0.1" },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error("the preview server has no address");
  return {
    url,
    async close() {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Chromium with a fresh profile; every page of the context shares it, like tabs of one browser. */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profile = mkdtempSync(join(tmpdir(), "warden-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the inbox in a new tab, signed in through the URL fragment. */
export async function openInbox(
  context: BrowserContext,
  appUrl: string,
  options: { endpoint: string; token: string; project: string },
): Promise<Page> {
  const page = await context.newPage();
  const fragment = new URLSearchParams(options).toString();
  await page.goto(`${appUrl}#${fragment}`);
  return page;
}

/**
 * Waits until the page's inbox is connected (its "Connecting…" banner gone): a request made from
 * then on reaches it, by event or by its catch-up. One made before may time out (project `short`)
 * before a slow page has read the inbox, and never be shown.
 */
export async function connected(page: Page): Promise<void> {
  // The inbox is on the page (it starts "connecting"), then its banner leaves.
  await page.getByTestId("pending-count").waitFor({ timeout: 90_000 });
  await page.getByTestId("connection-banner").waitFor({ state: "detached", timeout: 90_000 });
}

/** The card of one request. */
export const card = (page: Page, permissionId: string) =>
  page.locator(`article.card[data-permission-id="${permissionId}"]`);

/** Saves a screenshot under apps/web/test-results/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A TCP relay in front of the server whose link can be cut and restored: a real network failure. */
export async function startRelay(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const relayPort = (relay.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${relayPort}`,
    /** Drops every connection and refuses new ones. */
    async cut() {
      await new Promise<void>((resolve) => {
        relay.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    /** Accepts connections again on the same port. */
    async restore() {
      await new Promise<void>((resolve) => relay.listen(relayPort, "127.0.0.1", resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (relay.listening) await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

/** A server, the built inbox, Chromium, and an agent per project (`main`, `short`). */
export interface InboxFixture {
  readonly server: TestWarden;
  readonly inbox: Awaited<ReturnType<typeof serveInbox>>;
  readonly context: BrowserContext;
  readonly agent: WardenClient;
  readonly shortAgent: WardenClient;
  /** Saves a screenshot of the page; the file's screenshots are listed after its tests. */
  shot(page: Page, name: string): Promise<void>;
}

/**
 * Starts everything a browser test file needs before its tests (call at the top level), wakes the
 * agents' sessions (a Read is allowed at once), closes the pages each test opened, and stops it
 * all after the file.
 */
export function useInboxFixture(sessions: {
  readonly main: string;
  readonly short: string;
}): InboxFixture {
  let started: Omit<InboxFixture, "shot"> | undefined;
  let close: (() => Promise<void>) | undefined;
  const shots: string[] = [];

  beforeAll(async () => {
    const server = await startServer();
    const inbox = await serveInbox();
    const browser = await launchBrowser();
    const agentOf = (project: string) =>
      createWardenClient({ endpoint: server.endpoint, token: TOKENS.agent, project });
    const agent = agentOf("main");
    const shortAgent = agentOf("short");
    close = async () => {
      await agent.dispose();
      await shortAgent.dispose();
      await browser.close();
      await inbox.close();
      await server.stop();
    };
    for (const [client, session] of [
      [agent, sessions.main],
      [shortAgent, sessions.short],
    ] as const)
      await client
        .session(session)
        .requestPermission({ toolName: "Read", input: { file_path: "README.md" } });
    started = { server, inbox, context: browser.context, agent, shortAgent };
  });

  afterAll(async () => {
    if (shots.length > 0) console.log(`screenshots:\n  ${shots.join("\n  ")}`);
    await close?.();
  });

  afterEach(async () => {
    for (const page of started?.context.pages() ?? []) await page.close();
  });

  const get = () => {
    if (!started) throw new Error("the inbox fixture starts in beforeAll");
    return started;
  };
  return {
    get server() {
      return get().server;
    },
    get inbox() {
      return get().inbox;
    },
    get context() {
      return get().context;
    },
    get agent() {
      return get().agent;
    },
    get shortAgent() {
      return get().shortAgent;
    },
    async shot(page, name) {
      shots.push(await screenshot(page, name));
    },
  };
}
