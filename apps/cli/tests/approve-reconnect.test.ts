import { connect, createServer, type Server, type Socket } from "node:net";
import { createWardenClient, type WardenClient } from "@warden/client";
import type { TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startApprover, startServer } from "./approver-harness.ts";

let server: TestWarden;
let agent: WardenClient;

beforeAll(async () => {
  server = await startServer();
  agent = createWardenClient({ endpoint: server.endpoint, token: "agent-token", project: "demo" });
  await agent.session("delta").requestPermission({ toolName: "Read", input: { file_path: "x" } });
}, 120_000);

afterAll(async () => {
  await agent?.dispose();
  await server?.stop();
}, 60_000);

/** A loopback TCP proxy to the server that can drop every connection and refuse new ones. */
function proxy(target: number) {
  const sockets = new Set<Socket>();
  let listener: Server | undefined;
  const listen = (port: number) =>
    new Promise<number>((resolve) => {
      listener = createServer((client) => {
        const upstream = connect(target, "127.0.0.1");
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("error", () => undefined);
          s.on("close", () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      listener.listen(port, "127.0.0.1", () => {
        const address = listener!.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      listener!.close(() => resolve());
    });
  return { listen, cut };
}

test("a lost connection is shown as a banner", async () => {
  const link = proxy(Number(new URL(server.endpoint).port));
  const port = await link.listen(0);
  const approver = startApprover(`http://127.0.0.1:${port}`, "alice-token");
  try {
    await approver.waitFor("● connected");
    await link.cut();
    await approver.waitFor("Connection lost — reconnecting…");
  } finally {
    approver.kill();
  }
}, 120_000);

// Before the client replaced stalled connections (connection.ts, STALLED_MS), the inbox stayed
// "reconnecting" for at least 90 s after the endpoint had refused connections for a while.
test("the approver reconnects by itself and shows what arrived meanwhile", async () => {
  const link = proxy(Number(new URL(server.endpoint).port));
  const port = await link.listen(0);
  const approver = startApprover(`http://127.0.0.1:${port}`, "alice-token");
  try {
    await approver.waitFor("● connected");
    await link.cut();
    await approver.waitFor("Connection lost — reconnecting…");
    const decision = agent.session("delta").requestPermission({
      toolName: "Bash",
      input: { command: "echo while away" },
      action: "Run command: echo while away",
    });
    await link.listen(port);
    await approver.waitFor(
      (screen) => screen.includes("● connected") && screen.includes("Run command: echo while away"),
      90_000,
    );
    await approver.waitFor("keys: o once");
    await approver.press("o");
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
  } finally {
    approver.kill();
  }
}, 180_000);
