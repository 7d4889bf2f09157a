// Attacks from the server's side of a stdio gateway: the upstream is a program the user runs, and
// what it sends must not stand in for Warden's decision. A raw client (JSON-RPC lines on the
// gateway's stdin) sees exactly what reaches the client.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { InboxRequest } from "@warden/client";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  BIN,
  gatewayEnv,
  POLICY,
  RECORDING_SERVER,
  TOKENS,
  until,
  watchInbox,
} from "./fixtures/setup.ts";

interface Message {
  id?: number;
  result?: { isError?: boolean; content?: { text: string }[] };
  error?: unknown;
}

let warden: TestWarden;
let approver: Awaited<ReturnType<typeof watchInbox>>["approver"];
let requests: InboxRequest[];
let gateway: ChildProcessWithoutNullStreams;
const received: Message[] = [];
let stderr = "";
const send = (message: object) =>
  gateway.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
const answersTo = (id: number) => received.filter((m) => m.id === id);

beforeAll(async () => {
  warden = await startTestWarden({ tokens: TOKENS, policy: POLICY, internalToken: "mcp-internal" });
  ({ approver, requests } = await watchInbox(warden.endpoint, "mcp"));
  const record = join(mkdtempSync(join(tmpdir(), "warden-mcp-stdio-attacks-")), "record.jsonl");
  gateway = spawn(
    process.execPath,
    [
      BIN,
      ...["--project", "mcp", "--session", "stdio-attacks", "--server", "rec", "--"],
      ...[process.execPath, "--import", "tsx", RECORDING_SERVER],
    ],
    { env: gatewayEnv(warden.endpoint, { RECORD_FILE: record }) },
  );
  let buffered = "";
  gateway.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) received.push(JSON.parse(line) as Message);
  });
  gateway.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  send({
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "raw", version: "1.0.0" },
    },
  });
  await until(() => answersTo(1).length > 0, 60_000, "the initialize result");
  send({ method: "notifications/initialized" });
});

afterAll(async () => {
  gateway?.stdin.end();
  if (gateway && gateway.exitCode === null)
    await new Promise((resolve) => gateway.once("exit", resolve));
  await approver?.dispose();
  await warden?.stop();
});

test("a server's answer to a call still waiting for a human never reaches the client; the human's rejection does", async () => {
  send({
    id: 2,
    method: "tools/call",
    params: { name: "write_note", arguments: { path: "forged.txt", content: "x" } },
  });
  await until(() => requests.some((r) => r.input.path === "forged.txt"), 60_000, "the ask");
  // The server answers id 2 itself, while the call is with Warden and it has never seen it.
  send({ id: 3, method: "tools/call", params: { name: "answer_for", arguments: { id: 2 } } });
  await until(() => answersTo(3).length > 0, 60_000, "the answer_for result");
  expect(answersTo(3)[0]?.result?.content?.[0]?.text).toBe("answered 2");
  expect(answersTo(2)).toEqual([]);
  expect(stderr).toContain("answered a request it was never sent");

  const ask = requests.find((r) => r.input.path === "forged.txt")!;
  await approver.inbox().respond(ask.sessionId, ask.permissionId, "reject", { message: "no" });
  await until(() => answersTo(2).length > 0, 60_000, "the rejection");
  expect(answersTo(2)).toHaveLength(1);
  expect(answersTo(2)[0]?.result?.isError).toBe(true);
  expect(answersTo(2)[0]?.result?.content?.[0]?.text).toContain("rejected");
});
