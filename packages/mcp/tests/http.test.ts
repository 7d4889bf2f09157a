// Streamable HTTP: a real MCP client (the SDK's) ↔ the gateway process (--listen/--upstream) ↔ the
// recording server over HTTP, against a real Warden server.
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Rig, startRig } from "./fixtures/rig.ts";
import { startRecordingHttpServer, resultText as text, until } from "./fixtures/setup.ts";

const SECRET = "Bearer upstream-secret-7f3a";
const API_KEY = "api-key-secret-91c2";
let rig: Rig;
let gateway: Awaited<ReturnType<Rig["gateway"]>>;
let client: Client;
const record = () => rig.record();

/** The gateway process in front of an upstream, as `warden-mcp --listen --upstream` runs. */
const startGateway = (upstreamUrl: string) =>
  rig.gateway([
    "--project",
    "mcp",
    "--server",
    "rec",
    "--upstream",
    upstreamUrl,
    "--pass-header",
    "x-api-key",
  ]);

beforeAll(async () => {
  rig = await startRig({ inbox: "mcp" });
  gateway = await startGateway(rig.upstreamUrl);
  client = new Client({ name: "http-test-client", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gateway.url), {
      requestInit: { headers: { Authorization: SECRET, "X-Api-Key": API_KEY } },
    }),
  );
});

afterAll(async () => {
  await client?.close();
  await rig?.stop();
});

test("a call a rule allows reaches the server with the client's credentials, which are never logged", async () => {
  const result = await client.callTool({ name: "echo", arguments: { text: "over http" } });
  expect(text(result)).toBe("echo: over http");
  expect(record()).toContainEqual({
    tool: "echo",
    args: { text: "over http" },
    authorization: SECRET,
    apiKey: API_KEY,
  });
  expect(gateway.stderr()).not.toContain("upstream-secret");
  expect(gateway.stderr()).not.toContain(API_KEY);
});

test("a denied call gets an isError result and never reaches the server", async () => {
  const result = await client.callTool({ name: "delete_all", arguments: {} });
  expect(result.isError).toBe(true);
  expect(text(result)).toContain("Nothing gets deleted wholesale.");
  expect(record().some((r) => r.tool === "delete_all")).toBe(false);
});

test("an ask approved with edited arguments runs the edit; a rejected one never runs", async () => {
  // As clients do before calling: the gateway checks an edit against the listed input schema.
  await client.listTools();
  const call = client.callTool({ name: "write_note", arguments: { path: "h.txt", content: "x" } });
  await until(() => rig.requests.some((r) => r.input.path === "h.txt"), 60_000, "the ask");
  const request = rig.requests.find((r) => r.input.path === "h.txt")!;
  expect(request.sessionId).toMatch(/^mcp-/);
  await rig.approver!.inbox().respond(request.sessionId, request.permissionId, "once", {
    updatedInput: { path: "h-edited.txt", content: "x" },
  });
  expect(text(await call)).toBe("wrote h-edited.txt");

  const rejected = client.callTool({
    name: "write_note",
    arguments: { path: "i.txt", content: "x" },
  });
  await until(() => rig.requests.some((r) => r.input.path === "i.txt"), 60_000, "the ask");
  const second = rig.requests.find((r) => r.input.path === "i.txt")!;
  await rig.approver!.inbox().respond(second.sessionId, second.permissionId, "reject", {
    message: "no",
  });
  expect((await rejected).isError).toBe(true);
  // This test's notes only: another test writes its own, before or after.
  expect(
    record()
      .filter((r) => r.tool === "write_note" && /^[hi][.-]/.test(String(r.args.path)))
      .map((r) => r.args.path),
  ).toEqual(["h-edited.txt"]);
});

test("an edit that does not fit the tool's input schema is refused; the server never sees it", async () => {
  await client.listTools();
  const call = client.callTool({
    name: "strict_note",
    arguments: { path: "h-strict.txt", content: "x" },
  });
  await until(() => rig.requests.some((r) => r.input.path === "h-strict.txt"), 60_000, "the ask");
  const request = rig.requests.find((r) => r.input.path === "h-strict.txt")!;
  await rig.approver!.inbox().respond(request.sessionId, request.permissionId, "once", {
    updatedInput: { path: "h-strict-edited.txt", content: "x", mode: "755" },
  });
  const result = await call;
  expect(result.isError).toBe(true);
  expect(result._meta?.["warden/refusal"]).toBe("invalid_edit");
  expect(text(result)).toContain("must NOT have additional properties");
  expect(rig.rawArguments().some((line) => line.includes("h-strict"))).toBe(false);
});

test("resources, prompts and ping pass through", async () => {
  expect((await client.readResource({ uri: "memo://readme" })).contents[0]).toMatchObject({
    text: "the readme",
  });
  const prompt = await client.getPrompt({ name: "greet", arguments: { who: "Grace" } });
  expect(prompt.messages[0]?.content).toMatchObject({ text: "Hello, Grace" });
  await client.ping();
});

test("malformed JSON-RPC from a client is answered with a parse error and the gateway keeps serving", async () => {
  const garbage = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: "{not json",
  });
  expect(garbage.status).toBe(400);
  expect(((await garbage.json()) as { error: { code: number } }).error.code).toBe(-32700);
  const notRpc = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ hello: "world" }),
  });
  expect(notRpc.status).toBe(400);
  expect(gateway.stderr()).toContain("not JSON");
  expect(text(await client.callTool({ name: "echo", arguments: { text: "alive" } }))).toBe(
    "echo: alive",
  );
});

test("each client connection gets its own Warden session", async () => {
  const other = new Client({ name: "second", version: "1.0.0" });
  await other.connect(new StreamableHTTPClientTransport(new URL(gateway.url)));
  const asked = (path: string) => rig.requests.find((r) => r.input.path === path);
  const mine = client.callTool({ name: "write_note", arguments: { path: "k.txt", content: "x" } });
  const call = other.callTool({ name: "write_note", arguments: { path: "j.txt", content: "x" } });
  await until(() => !!asked("j.txt") && !!asked("k.txt"), 60_000, "both asks");
  const request = asked("j.txt")!;
  const first = asked("k.txt")!;
  expect(request.sessionId).not.toBe(first.sessionId);
  await rig.approver!.inbox().respond(first.sessionId, first.permissionId, "once");
  await rig.approver!.inbox().respond(request.sessionId, request.permissionId, "once");
  expect(text(await mine)).toBe("wrote k.txt");
  expect(text(await call)).toBe("wrote j.txt");
  // This client sent no credentials: none reach the server (not the first client's, not Warden's).
  const received = record().find((r) => r.args.path === "j.txt")!;
  expect(received.authorization).toBeUndefined();
  expect(received.apiKey).toBeUndefined();
  await other.close();
});

/** A fetch that keeps the text of the response stream of each tools/call, by its `tag` argument. */
function fetchKeepingStreams() {
  const streams = new Map<string, Promise<string>>();
  const keeping: typeof fetch = async (url, init) => {
    const response = await fetch(url, init);
    const sent = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const tag = sent?.method === "tools/call" ? sent.params?.arguments?.tag : undefined;
    if (!response.body || typeof tag !== "string") return response;
    const [kept, passed] = response.body.tee();
    streams.set(tag, new Response(kept).text());
    return new Response(passed, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
  return { fetch: keeping, streams };
}

/** The JSON-RPC messages in an SSE stream's text. */
const sseMessages = (stream: string): { method?: string; params?: unknown }[] =>
  stream
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => JSON.parse(line.slice(5)));

test("the server's requests (sampling, elicitation, roots) and notifications for a call reach the client on that call's stream, with two calls at once", async () => {
  const { fetch: keeping, streams } = fetchKeepingStreams();
  const paired = new Client(
    { name: "paired", version: "1.0.0" },
    { capabilities: { sampling: {}, elicitation: {}, roots: {} } },
  );
  paired.setRequestHandler(CreateMessageRequestSchema, (request) => {
    // The prompt, as the client's "model" answer: which call it came for shows in the result.
    const prompt = JSON.stringify(request.params.messages[0]?.content);
    return {
      role: "assistant",
      model: "test",
      content: { type: "text", text: `re: ${/sample from \w/.exec(prompt)?.[0] ?? "?"}` },
    };
  });
  paired.setRequestHandler(ElicitRequestSchema, () => ({
    action: "accept",
    content: { ok: true },
  }));
  paired.setRequestHandler(ListRootsRequestSchema, () => ({
    roots: [{ uri: "file:///work", name: "work" }],
  }));
  await paired.connect(new StreamableHTTPClientTransport(new URL(gateway.url), { fetch: keeping }));
  const [a, b] = await Promise.all([
    paired.callTool({ name: "pair", arguments: { tag: "a", partner: "b" } }),
    paired.callTool({ name: "pair", arguments: { tag: "b", partner: "a" } }),
  ]);
  expect(text(a)).toBe("a done: re: sample from a; accept; work");
  expect(text(b)).toBe("b done: re: sample from b; accept; work");
  for (const [tag, other] of [
    ["a", "b"],
    ["b", "a"],
  ] as const) {
    const messages = sseMessages(await streams.get(tag)!);
    expect(messages).toContainEqual(
      expect.objectContaining({
        method: "notifications/message",
        params: expect.objectContaining({ data: `log from ${tag}` }),
      }),
    );
    for (const method of ["sampling/createMessage", "elicitation/create", "roots/list"])
      expect(messages.filter((m) => m.method === method)).toHaveLength(1);
    expect(JSON.stringify(messages)).toContain(`elicit from ${tag}`);
    expect(JSON.stringify(messages)).toContain(`sample from ${tag}`);
    expect(JSON.stringify(messages)).not.toContain(`from ${other}`);
  }
  await paired.close();
});

test("the upstream crashing mid-call gives the client a clear error, not a hang", async () => {
  // An upstream and gateway of its own: the file's others keep serving the remaining tests.
  const doomed = await startRecordingHttpServer(join(rig.dir, "crash-record.jsonl"));
  const front = await startGateway(doomed.url);
  const crashing = new Client({ name: "crash-test-client", version: "1.0.0" });
  try {
    await crashing.connect(new StreamableHTTPClientTransport(new URL(front.url)));
    const result = await crashing.callTool({ name: "crash", arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/MCP server/);
    // The server is gone: the next call fails clearly too.
    const next = await crashing.callTool({ name: "echo", arguments: { text: "anyone?" } });
    expect(next.isError).toBe(true);
    expect(text(next)).toContain("could not reach the MCP server");
  } finally {
    await crashing.close();
    await front.stop();
    doomed.stop();
  }
});
