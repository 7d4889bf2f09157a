// A real MCP client (the SDK's) ↔ the gateway (the warden-mcp bin, a real process) ↔ the
// recording MCP server (a real process), against a real Warden server; an approver answers
// through the inbox API.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { createWardenClient, type InboxRequest, type InboxResolved } from "@warden/client";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { filesystemCases, filesystemRoot } from "./fixtures/filesystem-cases.ts";
import {
  APPROVER_TOKEN,
  BIN,
  connectStdio,
  FILESYSTEM_SERVER,
  gatewayEnv,
  POLICY,
  RECORDING_SERVER,
  readRecord,
  TOKENS,
  resultText as text,
  until,
} from "./fixtures/setup.ts";

let warden: TestWarden;
let approver: ReturnType<typeof createWardenClient>;
const requests: InboxRequest[] = [];
const resolutions: InboxResolved[] = [];
const stops: (() => unknown)[] = [];
const dir = mkdtempSync(join(tmpdir(), "warden-mcp-"));

async function nextRequest(match: (r: InboxRequest) => boolean): Promise<InboxRequest> {
  await until(() => requests.some(match), 60_000, "an inbox request");
  const index = requests.findIndex(match);
  return requests.splice(index, 1)[0]!;
}

async function gateway(project: string, session: string, extra: string[] = []) {
  const record = join(dir, `${session}.jsonl`);
  const raw = join(dir, `${session}.raw.jsonl`);
  const connected = await connectStdio(
    [
      "--project",
      project,
      "--session",
      session,
      "--server",
      "rec",
      "--progress-ms",
      "200",
      ...extra,
      "--",
      process.execPath,
      "--import",
      "tsx",
      RECORDING_SERVER,
    ],
    gatewayEnv(warden.endpoint, { RECORD_FILE: record, RAW_RECORD_FILE: raw }),
    { capabilities: { sampling: {} } },
  );
  stops.push(() => connected.client.close());
  return {
    ...connected,
    record: () => readRecord(record),
    /** The arguments of every tools/call that reached the server, before its SDK checked them. */
    received: () => readRecord(raw) as unknown as Record<string, unknown>[],
  };
}

beforeAll(async () => {
  warden = await startTestWarden({ tokens: TOKENS, policy: POLICY, internalToken: "mcp-internal" });
  approver = createWardenClient({
    endpoint: warden.endpoint,
    token: APPROVER_TOKEN,
    project: "mcp",
  });
  for (const project of ["mcp", "mcp-fast", "fs"]) {
    await approver.inbox(project).subscribe({
      onRequest: (r) => requests.push(r),
      onResolved: (e) => resolutions.push(e),
    });
  }
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await approver?.dispose();
  await warden?.stop();
});

describe("stdio gateway in front of the recording server", () => {
  let client: Client;
  let record: () => ReturnType<typeof readRecord>;
  let stderr: () => string;

  beforeAll(async () => {
    ({ client, record, stderr } = await gateway("mcp", "stdio-1", ["--hide-denied"]));
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant",
      model: "test-model",
      content: { type: "text", text: "forty-two" },
    }));
  });

  test("tools/list hides what the policy denies outright and annotates the rest", async () => {
    // A session of its own: the other tests add session rules, which change the annotations.
    const { client: fresh } = await gateway("mcp", "stdio-list", ["--hide-denied"]);
    const { tools } = await fresh.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.has("delete_all")).toBe(false);
    expect(byName.get("echo")?._meta?.["warden/policy"]).toBe("allow");
    expect(byName.get("write_note")?._meta?.["warden/policy"]).toBe("ask");
    expect(byName.get("write_note")?.description).toMatch(/approve/);
    expect(fresh.getServerCapabilities()?.tools?.listChanged).toBe(true);
  });

  test("a call a rule allows is forwarded as it is", async () => {
    const result = await client.callTool({ name: "echo", arguments: { text: "hi" } });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toBe("echo: hi");
    expect(record()).toContainEqual({ tool: "echo", args: { text: "hi" } });
  });

  test("calls the rules settle in the gateway reach the session's audit log, each once, marked local", async () => {
    const texts = Array.from({ length: 30 }, (_, i) => `audited-${i}`);
    for (const t of texts) await client.callTool({ name: "echo", arguments: { text: t } });
    let logged: { input: Record<string, unknown>; resolution?: unknown }[] = [];
    const read = async () => {
      const { entries } = await approver.session("stdio-1").getHistory({ limit: 500 });
      logged = entries.filter((e) => texts.includes(String(e.input.text)));
    };
    const deadline = Date.now() + 30_000;
    for (await read(); logged.length < texts.length && Date.now() < deadline; await read())
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(logged.map((e) => e.input.text).sort()).toEqual([...texts].sort());
    for (const entry of logged)
      expect(entry.resolution).toMatchObject({
        outcome: "allow",
        local: { behavior: "allow", server: "allow" },
      });
  });

  test("a call a rule denies gets an isError result with the rule's message and never reaches the server", async () => {
    const result = await client.callTool({ name: "delete_all", arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("Nothing gets deleted wholesale.");
    expect(record().some((r) => r.tool === "delete_all")).toBe(false);
  });

  test("an ask approved once is forwarded; approved with edited arguments, the edit runs", async () => {
    // As clients do before calling: the gateway checks an edit against the listed input schema.
    await client.listTools();
    const first = client.callTool({
      name: "write_note",
      arguments: { path: "a.txt", content: "one" },
    });
    const request = await nextRequest((r) => r.input.path === "a.txt");
    expect(request.toolName).toBe("mcp__rec__write_note");
    expect(request.sessionId).toBe("stdio-1");
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "once");
    expect(text(await first)).toBe("wrote a.txt");

    const second = client.callTool({
      name: "write_note",
      arguments: { path: "b.txt", content: "two" },
    });
    const asked = await nextRequest((r) => r.input.path === "b.txt");
    await approver.inbox("mcp").respond(asked.sessionId, asked.permissionId, "once", {
      updatedInput: { path: "b-reviewed.txt", content: "two, reviewed" },
    });
    expect(text(await second)).toBe("wrote b-reviewed.txt");
    // This test's notes only: the session's other tests write theirs in any order.
    const notes = record()
      .filter((r) => r.tool === "write_note" && /^[ab][.-]/.test(String(r.args.path)))
      .map((r) => r.args);
    expect(notes).toEqual([
      { path: "a.txt", content: "one" },
      { path: "b-reviewed.txt", content: "two, reviewed" },
    ]);
  });

  test("a rejection reaches the client as an isError result with the approver's message", async () => {
    const call = client.callTool({
      name: "write_note",
      arguments: { path: "c.txt", content: "x" },
    });
    const request = await nextRequest((r) => r.input.path === "c.txt");
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "reject", {
      message: "not in this repo",
    });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("A human rejected this call");
    expect(text(result)).toContain("not in this repo");
    expect(record().some((r) => r.args.path === "c.txt")).toBe(false);
  });

  test("an 'always' answer adds a rule: the same call is then allowed without asking", async () => {
    const call = client.callTool({
      name: "write_note",
      arguments: { path: "d.txt", content: "x" },
    });
    const request = await nextRequest((r) => r.input.path === "d.txt");
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "always", {
      rule: 'mcp__rec__write_note(path = "d.txt")',
      scope: "session",
    });
    expect(text(await call)).toBe("wrote d.txt");
    const asked = requests.length;
    const again = await client.callTool({
      name: "write_note",
      arguments: { path: "d.txt", content: "y" },
    });
    expect(text(again)).toBe("wrote d.txt");
    expect(requests.length).toBe(asked);
    expect(record().filter((r) => r.args.path === "d.txt")).toHaveLength(2);
  });

  test("while a human decides, the client gets progress notifications on its token", async () => {
    const progress: { progress: number; message?: string }[] = [];
    const call = client.callTool(
      { name: "write_note", arguments: { path: "e.txt", content: "x" } },
      undefined,
      {
        onprogress: (p) => progress.push(p),
        resetTimeoutOnProgress: true,
      },
    );
    const request = await nextRequest((r) => r.input.path === "e.txt");
    await until(() => progress.length >= 2, 30_000, "progress notifications");
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "once");
    expect(text(await call)).toBe("wrote e.txt");
    expect(progress[0]?.message).toContain("Waiting for Warden");
    const values = progress.map((p) => p.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  test("the client's cancellation cancels the request in Warden; the server never sees the call", async () => {
    const controller = new AbortController();
    const call = client.callTool(
      { name: "write_note", arguments: { path: "f.txt", content: "x" } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    const request = await nextRequest((r) => r.input.path === "f.txt");
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await until(
      () => resolutions.some((e) => e.permissionId === request.permissionId),
      30_000,
      "the cancellation in Warden",
    );
    const resolution = resolutions.find((e) => e.permissionId === request.permissionId)!.resolution;
    expect(resolution.outcome).toBe("deny");
    expect(resolution.reason).toBe("cancelled");
    expect(record().some((r) => r.args.path === "f.txt")).toBe(false);
  });

  test("resources, prompts, ping and sampling pass through in both directions", async () => {
    const resource = await client.readResource({ uri: "memo://readme" });
    expect(resource.contents[0]).toMatchObject({ text: "the readme" });
    const prompt = await client.getPrompt({ name: "greet", arguments: { who: "Ada" } });
    expect(prompt.messages[0]?.content).toMatchObject({ text: "Hello, Ada" });
    await client.ping();
    await client.setLoggingLevel("debug");
    const sampled = await client.callTool({ name: "sample", arguments: { prompt: "meaning?" } });
    expect(text(sampled)).toBe("the client's model said: forty-two");
  });

  test("tools/list_changed reaches the client, and the new tool is decided by the policy", async () => {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    await client.callTool({ name: "add_tool", arguments: { name: "late_tool" } });
    await until(() => changed > 0, 30_000, "tools/list_changed");
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === "late_tool")?._meta?.["warden/policy"]).toBe("depends");

    // A rule added in Warden changes the annotations: the gateway tells the client to list again.
    const before = changed;
    const call = client.callTool({ name: "late_tool", arguments: {} });
    const request = await nextRequest((r) => r.toolName === "mcp__rec__late_tool");
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "always", {
      rule: "mcp__rec__late_tool",
      scope: "session",
    });
    expect(text(await call)).toBe("late_tool ran");
    await until(() => changed > before, 30_000, "tools/list_changed after a rule change");
    const relisted = await client.listTools();
    expect(relisted.tools.find((t) => t.name === "late_tool")?._meta?.["warden/policy"]).toBe(
      "allow",
    );
  });

  test("the server does not get Warden's token or settings in its environment", async () => {
    const result = await client.callTool({ name: "env", arguments: {} });
    expect(text(result)).toBe("WARDEN_* variables: none");
  });

  test("garbage from the server is reported on stderr and the gateway keeps going", async () => {
    const result = await client.callTool({ name: "garbage", arguments: {} });
    expect(text(result)).toBe("sent garbage first");
    await until(
      () => stderr().includes("the MCP server sent something that is not MCP"),
      10_000,
      "the gateway to report the garbage",
    );
    expect(text(await client.callTool({ name: "echo", arguments: { text: "still" } }))).toBe(
      "echo: still",
    );
  });
});

describe("an approver's edited arguments are checked against the tool's input schema", () => {
  let client: Client;
  let record: () => ReturnType<typeof readRecord>;
  let received: () => Record<string, unknown>[];

  beforeAll(async () => {
    ({ client, record, received } = await gateway("mcp", "stdio-edit"));
  });

  /** Calls strict_note with valid arguments tagged `tag`; the approver answers with `edit`. */
  async function edited(tag: string, edit: Record<string, unknown>) {
    const call = client.callTool({ name: "strict_note", arguments: { path: tag, content: "x" } });
    const request = await nextRequest((r) => r.input.path === tag);
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "once", {
      updatedInput: edit,
    });
    return call;
  }

  test("without a tools/list in the session, an edit is refused and the server never sees it", async () => {
    const result = await edited("unlisted.txt", { path: "unlisted-edit.txt", content: "y" });
    expect(result.isError).toBe(true);
    expect(result._meta?.["warden/refusal"]).toBe("invalid_edit");
    expect(text(result)).toContain("no input schema for this tool");
    expect(received().some((a) => String(a.path).startsWith("unlisted"))).toBe(false);
  });

  test("an approval without an edit is forwarded as the client sent it, with no schema known", async () => {
    // Warden's answer carries a copy of the arguments: equal to the client's, it is no edit.
    const call = client.callTool({
      name: "strict_note",
      arguments: { path: "e-plain.txt", content: "x" },
    });
    const request = await nextRequest((r) => r.input.path === "e-plain.txt");
    await approver.inbox("mcp").respond(request.sessionId, request.permissionId, "once");
    expect(text(await call)).toBe("wrote e-plain.txt strictly");
  });

  test.each([
    ["a wrong type", "e-type.txt", { content: 7 }, "must be string"],
    ["a missing required field", "e-missing.txt", { content: undefined }, "required property"],
    ["an extra property", "e-extra.txt", { mode: "755" }, "must NOT have additional properties"],
  ])("an edit with %s is refused; the server never sees it", async (_what, tag, change, why) => {
    await client.listTools();
    const edit = JSON.parse(JSON.stringify({ path: tag, content: "edited", ...change }));
    const result = await edited(tag, edit);
    expect(result.isError).toBe(true);
    expect(result._meta?.["warden/refusal"]).toBe("invalid_edit");
    expect(text(result)).toContain("edited arguments were refused");
    expect(text(result)).toContain(why);
    expect(received().some((a) => a.path === tag)).toBe(false);
  });

  test("an edit that fits the schema is forwarded with the edited arguments", async () => {
    await client.listTools();
    const result = await edited("e-valid.txt", { path: "e-valid-edited.txt", content: "edited" });
    expect(text(result)).toBe("wrote e-valid-edited.txt strictly");
    expect(received()).toContainEqual({ path: "e-valid-edited.txt", content: "edited" });
    expect(record()).toContainEqual({
      tool: "strict_note",
      args: { path: "e-valid-edited.txt", content: "edited" },
    });
  });

  test("after the server's tools/list_changed, edits are refused until the client lists again", async () => {
    await client.listTools();
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    await client.callTool({ name: "add_tool", arguments: { name: "added_for_edits" } });
    await until(() => changed > 0, 30_000, "tools/list_changed");
    const stale = await edited("e-stale.txt", { path: "e-stale-edited.txt", content: "y" });
    expect(stale._meta?.["warden/refusal"]).toBe("invalid_edit");
    expect(text(stale)).toContain("no input schema for this tool");
    expect(received().some((a) => String(a.path).startsWith("e-stale"))).toBe(false);
    await client.listTools();
    const fresh = await edited("e-relisted.txt", { path: "e-relisted-edited.txt", content: "y" });
    expect(text(fresh)).toBe("wrote e-relisted-edited.txt strictly");
  });
});

describe("stdio gateway, project with a 3 s ask timeout", () => {
  test("an unanswered ask times out into an isError result; the server never sees it", async () => {
    const { client, record } = await gateway("mcp-fast", "stdio-fast");
    const result = await client.callTool({
      name: "write_note",
      arguments: { path: "t.txt", content: "x" },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("Nobody approved this call in Warden in time");
    expect(record().some((r) => r.tool === "write_note")).toBe(false);

    // The server crashing mid-call: a clear isError result, then the gateway exits; no hang.
    let closed = false;
    client.onclose = () => {
      closed = true;
    };
    const crashed = await client.callTool({ name: "crash", arguments: {} });
    expect(crashed.isError).toBe(true);
    expect(text(crashed)).toContain("closed the connection before answering");
    await until(() => closed, 30_000, "the gateway to close");
    expect(record().map((r) => r.tool)).toContain("crash");
  });
});

describe("stdio gateway in front of @modelcontextprotocol/server-filesystem with examples/policies/mcp.yaml", () => {
  const root = filesystemRoot();
  let client: Client;

  beforeAll(async () => {
    ({ client } = await connectStdio(
      [
        "--project",
        "fs",
        "--session",
        "fs-1",
        "--server",
        "filesystem",
        "--cwd",
        root,
        "--",
        process.execPath,
        FILESYSTEM_SERVER,
        root,
      ],
      gatewayEnv(warden.endpoint),
    ));
    stops.push(() => client.close());
  });

  filesystemCases({ root, client: () => client, nextRequest, inbox: () => approver.inbox("fs") });
});

test("malformed JSON-RPC from the client is answered with a parse error; the gateway keeps serving", async () => {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "--project",
      "mcp",
      "--server",
      "rec",
      "--",
      process.execPath,
      "--import",
      "tsx",
      RECORDING_SERVER,
    ],
    {
      env: gatewayEnv(warden.endpoint),
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdin.write("this is not json\n");
  child.stdin.write(
    `${JSON.stringify({ jsonrpc: "2.0", id: 5, result: "not a request", extra: [], method: 3 })}\n`,
  );
  child.stdin.write(
    `${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } })}\n`,
  );
  await until(() => out.includes('"id":1'), 30_000, "the initialize answer");
  const lines = out
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(lines[0]).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });
  expect(lines[1]).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
  expect(lines[2]).toMatchObject({ id: 1, result: { serverInfo: { name: "Recording Server" } } });
  expect(err).toContain("the client sent something that is not MCP");
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin.end();
  await exited;
});

test("with Warden unreachable every call is refused (fail closed) and the server never sees it", async () => {
  const record = join(dir, "unreachable.jsonl");
  const { client } = await connectStdio(
    [
      "--project",
      "mcp",
      "--server",
      "rec",
      "--unreachable-ms",
      "1500",
      "--",
      process.execPath,
      "--import",
      "tsx",
      RECORDING_SERVER,
    ],
    { ...gatewayEnv("http://127.0.0.1:9"), RECORD_FILE: record },
  );
  stops.push(() => client.close());
  const result = await client.callTool({ name: "echo", arguments: { text: "hello?" } });
  expect(result.isError).toBe(true);
  expect(text(result)).toContain("Warden could not decide, so the call was not made");
  expect(readRecord(record)).toEqual([]);
});
