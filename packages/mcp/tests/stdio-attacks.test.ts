// Attacks from the server's side of a stdio gateway: the upstream is a program the user runs, and
// what it sends must not stand in for Warden's decision. A raw client (JSON-RPC lines on the
// gateway's stdin) sees exactly what reaches the client.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import { initializeRequest } from "./fixtures/raw-http.ts";
import { type Rig, startRig } from "./fixtures/rig.ts";
import { BIN, gatewayEnv, RECORDING_SERVER, until } from "./fixtures/setup.ts";

interface Message {
  id?: number;
  result?: { isError?: boolean; content?: { text: string }[] };
  error?: unknown;
}

let rig: Rig;
let gateway: ChildProcessWithoutNullStreams;
const received: Message[] = [];
let stderr = "";
const send = (message: object) =>
  gateway.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
const answersTo = (id: number) => received.filter((m) => m.id === id);

beforeAll(async () => {
  rig = await startRig({ inbox: "mcp", upstream: false });
  gateway = spawn(
    process.execPath,
    [
      BIN,
      ...["--project", "mcp", "--session", "stdio-attacks", "--server", "rec", "--"],
      ...[process.execPath, "--import", "tsx", RECORDING_SERVER],
    ],
    { env: gatewayEnv(rig.warden.endpoint, { RECORD_FILE: rig.recordFile }) },
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
  send(initializeRequest(1));
  await until(() => answersTo(1).length > 0, 60_000, "the initialize result");
  send({ method: "notifications/initialized" });
});

afterAll(async () => {
  gateway?.stdin.end();
  if (gateway && gateway.exitCode === null)
    await new Promise((resolve) => gateway.once("exit", resolve));
  await rig?.stop();
});

test("a server's answer to a call still waiting for a human never reaches the client; the human's rejection does", async () => {
  send({
    id: 2,
    method: "tools/call",
    params: { name: "write_note", arguments: { path: "forged.txt", content: "x" } },
  });
  await until(() => rig.requests.some((r) => r.input.path === "forged.txt"), 60_000, "the ask");
  // The server answers id 2 itself, while the call is with Warden and it has never seen it.
  send({ id: 3, method: "tools/call", params: { name: "answer_for", arguments: { id: 2 } } });
  await until(() => answersTo(3).length > 0, 60_000, "the answer_for result");
  expect(answersTo(3)[0]?.result?.content?.[0]?.text).toBe("answered 2");
  expect(answersTo(2)).toEqual([]);
  expect(stderr).toContain("answered a request it was never sent");

  const ask = rig.requests.find((r) => r.input.path === "forged.txt")!;
  await rig.approver!.inbox().respond(ask.sessionId, ask.permissionId, "reject", { message: "no" });
  await until(() => answersTo(2).length > 0, 60_000, "the rejection");
  expect(answersTo(2)).toHaveLength(1);
  expect(answersTo(2)[0]?.result?.isError).toBe(true);
  expect(answersTo(2)[0]?.result?.content?.[0]?.text).toContain("rejected");
});

test("a request id used before in the session is refused, and the call it carries does not run twice", async () => {
  const call = { method: "tools/call", params: { name: "echo", arguments: { text: "again" } } };
  send({ id: 20, ...call });
  await until(() => answersTo(20).length > 0, 60_000, "the first answer");
  expect(answersTo(20)[0]?.result?.content?.[0]?.text).toBe("echo: again");
  send({ id: 20, ...call });
  await until(() => answersTo(20).length > 1, 60_000, "the replay's answer");
  expect(answersTo(20)[1]?.error).toMatchObject({ code: -32600 });
  expect(JSON.stringify(answersTo(20)[1]?.error)).toContain("already used");
  // Any other request with the same id is refused too: ids are the session's, whatever the method.
  send({ id: 20, method: "ping" });
  await until(() => answersTo(20).length > 2, 60_000, "the ping's answer");
  expect(answersTo(20)[2]?.error).toMatchObject({ code: -32600 });
  expect(rig.record().filter((r) => r.args.text === "again")).toHaveLength(1);
});
