// Attacks on the Streamable HTTP listener (`--listen`), from a web page (DNS rebinding, cross-origin
// requests) and from another client on the same machine (a stolen Mcp-Session-Id, hostile
// arguments), against the gateway process, a real Warden server and the recording server.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { policySource } from "@warden/rules";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  ACCEPT,
  initialize,
  inSession,
  firstMessage as message,
  rawHttp,
  toolCall,
} from "./fixtures/raw-http.ts";
import { type Rig, startRig } from "./fixtures/rig.ts";
import {
  AGENT_TOKEN,
  APPROVER_TOKEN,
  POLICY,
  TOKENS,
  resultText as text,
  until,
} from "./fixtures/setup.ts";

let rig: Rig;
let gateway: Awaited<ReturnType<Rig["gateway"]>>;
let port: number;
const { raw, openSession } = rawHttp(() => port);
const record = () => rig.record();
const rawArguments = () => rig.rawArguments();

/** Project `forge`: a rule for the gh server written with an unanchored regex, as the docs allow. */
const FORGE_RULES = {
  default_behavior: "ask" as const,
  rules: [
    { tool: "mcp__rec__add_tool", behavior: "allow" as const },
    { tool: "/mcp__gh__.*/", behavior: "allow" as const },
  ],
};
const FORGE_TOKENS = Object.fromEntries(
  ([AGENT_TOKEN, APPROVER_TOKEN] as const).map((token) => [
    token,
    { ...TOKENS[token], projects: [...TOKENS[token].projects, "forge"] },
  ]),
);

beforeAll(async () => {
  rig = await startRig({
    tokens: FORGE_TOKENS,
    policy: { ...POLICY, projects: { ...POLICY?.projects, forge: policySource(FORGE_RULES) } },
    inbox: "mcp",
  });
  gateway = await rig.recGateway("mcp");
  port = Number(new URL(gateway.url).port);
});

afterAll(async () => {
  await rig?.stop();
});

test("a request naming another host (DNS rebinding) is refused before it opens anything", async () => {
  for (const host of [`evil.example:${port}`, "evil.example", `127.0.0.1.evil.example:${port}`]) {
    const answer = await raw(
      "POST",
      { host, "content-type": "application/json", accept: ACCEPT },
      initialize(),
    );
    expect(answer.status).toBe(403);
    expect(answer.headers["mcp-session-id"]).toBeUndefined();
  }
  // Nor may a rebinding page use a session it learned: the call never reaches the server.
  const session = await openSession();
  const call = await raw(
    "POST",
    inSession(session, { host: `evil.example:${port}` }),
    toolCall(2, "echo", '{"text":"rebound"}'),
  );
  expect(call.status).toBe(403);
  expect(record().some((r) => r.args.text === "rebound")).toBe(false);
  expect(gateway.stderr()).toContain("Host");
});

test("a browser's cross-origin request is refused, with a session or without", async () => {
  for (const origin of ["http://evil.example", "null", `http://localhost:${port + 1}`]) {
    const answer = await raw(
      "POST",
      { origin, "content-type": "application/json", accept: ACCEPT },
      initialize(),
    );
    expect(answer.status).toBe(403);
    expect(answer.headers["mcp-session-id"]).toBeUndefined();
    expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
  }
  const session = await openSession();
  const call = await raw(
    "POST",
    inSession(session, { origin: "http://evil.example" }),
    toolCall(2, "echo", '{"text":"cross-origin"}'),
  );
  expect(call.status).toBe(403);
  const stream = await raw("GET", {
    origin: "http://evil.example",
    accept: "text/event-stream",
    "mcp-session-id": session,
    "mcp-protocol-version": inSession(session)["mcp-protocol-version"],
  });
  expect(stream.status).toBe(403);
  expect(record().some((r) => r.args.text === "cross-origin")).toBe(false);
});

test("a CORS preflight is never granted", async () => {
  const session = await openSession();
  for (const headers of [{}, { "mcp-session-id": session }] as Record<string, string>[]) {
    const answer = await raw("OPTIONS", {
      origin: "http://evil.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, mcp-session-id, authorization",
      ...headers,
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.headers["access-control-allow-origin"]).toBeUndefined();
    expect(answer.headers["access-control-allow-headers"]).toBeUndefined();
  }
});

test("another client's Mcp-Session-Id with other credentials gets 'Session not found', and nothing of that session", async () => {
  const owner = new Client({ name: "owner", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(gateway.url), {
    requestInit: { headers: { Authorization: "Bearer owner-token" } },
  });
  await owner.connect(transport);
  const session = transport.sessionId!;
  const pending = owner.callTool({
    name: "write_note",
    arguments: { path: "owner.txt", content: "x" },
  });
  await until(
    () => rig.requests.some((r) => r.input.path === "owner.txt"),
    60_000,
    "the owner's ask",
  );
  const ask = rig.requests.find((r) => r.input.path === "owner.txt")!;

  for (const credentials of [{ authorization: "Bearer thief-token" }, {}] as Record<
    string,
    string
  >[]) {
    // Calls in the owner's Warden session (with its "always" answers) are refused...
    const call = await raw(
      "POST",
      inSession(session, credentials),
      toolCall(7, "echo", '{"text":"thief"}'),
    );
    expect(call.status).toBe(404);
    // ...and so are cancelling the owner's pending ask, listening on its stream, and closing it.
    const cancel = await raw(
      "POST",
      inSession(session, credentials),
      JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 1, reason: "thief" },
      }),
    );
    expect(cancel.status).toBe(404);
    const listen = await raw("GET", {
      ...inSession(session, credentials),
      accept: "text/event-stream",
    });
    expect(listen.status).toBe(404);
    const close = await raw("DELETE", inSession(session, credentials));
    expect(close.status).toBe(404);
  }
  expect(record().some((r) => r.args.text === "thief")).toBe(false);

  // The owner's session is untouched: its ask is still pending, and its answer reaches the owner.
  await rig.approver!.inbox().respond(ask.sessionId, ask.permissionId, "once");
  expect(text(await pending)).toBe("wrote owner.txt");
  expect(record().find((r) => r.args.path === "owner.txt")?.authorization).toBe(
    "Bearer owner-token",
  );
  await owner.close();
});

test("an argument named __proto__, __proto_, constructor or prototype is refused before any decision, on the fast path and off it", async () => {
  const session = await openSession();
  const cases = [
    ["echo", '{"text":"proto-1","__proto__":{"isAdmin":true}}', "__proto__"],
    ["echo", '{"text":"proto-2","nested":[{"deeper":{"__proto__":{"x":1}}}]}', "__proto__"],
    [
      "write_note",
      '{"path":"proto.txt","content":"x","__proto__":{"path":"/etc/passwd"}}',
      "__proto__",
    ],
    ["echo", '{"text":"proto-3","__proto_":1}', "__proto_"],
    ["echo", '{"text":"proto-4","constructor":{"prototype":{"isAdmin":true}}}', "constructor"],
    ["write_note", '{"path":"proto.txt","content":"x","meta":{"prototype":1}}', "prototype"],
  ] as const;
  let id = 10;
  for (const [tool, args, key] of cases) {
    const answer = message(await raw("POST", inSession(session), toolCall(id++, tool, args)));
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?.content?.[0]?.text).toContain(`named ${key},`);
  }
  expect(rawArguments().filter((a) => a.includes("proto"))).toEqual([]);
  expect(rig.requests.some((r) => r.input.path === "proto.txt")).toBe(false);
});

test("other Object.prototype names (toString, hasOwnProperty) reach the rules, the approver and the server as sent", async () => {
  const session = await openSession();
  const allowed = '{"text":"ctor","hasOwnProperty":1,"valueOf":"constructor"}';
  expect(
    message(await raw("POST", inSession(session), toolCall(2, "echo", allowed))).result?.isError,
  ).toBeFalsy();
  expect(rawArguments()).toContain(JSON.stringify(JSON.parse(allowed)));

  const asked = '{"path":"ctor.txt","content":"x","toString":"z"}';
  const answer = raw("POST", inSession(session), toolCall(3, "write_note", asked));
  await until(() => rig.requests.some((r) => r.input.path === "ctor.txt"), 60_000, "the ask");
  const ask = rig.requests.find((r) => r.input.path === "ctor.txt")!;
  expect(JSON.stringify(ask.input)).toBe(JSON.stringify(JSON.parse(asked)));
  await rig.approver!.inbox().respond(ask.sessionId, ask.permissionId, "once");
  expect(message(await answer).result?.isError).toBeFalsy();
  expect(rawArguments()).toContain(JSON.stringify(JSON.parse(asked)));
});

test("arguments Warden would refuse (too deep, too large) are refused at once, and the gateway keeps serving", async () => {
  const session = await openSession();
  const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
  const cases = [
    [`{"text":"deep-1","nested":${nested(200_000)}}`, /deeper than 32/],
    [`{"text":"deep-2","nested":${nested(40)}}`, /deeper than 32/],
    [`{"path":"big.txt","content":"${"x".repeat(100_000)}"}`, /characters of JSON/],
  ] as const;
  let id = 20;
  for (const [args, why] of cases) {
    const started = Date.now();
    const tool = args.includes("big.txt") ? "write_note" : "echo";
    const answer = message(await raw("POST", inSession(session), toolCall(id++, tool, args)));
    expect(answer.result?.isError).toBe(true);
    expect(answer.result?.content?.[0]?.text).toMatch(why);
    // Refused, not waited on: --unreachable-ms (120 s here) never comes into it.
    expect(Date.now() - started).toBeLessThan(60_000);
  }
  expect(record().some((r) => /^deep/.test(String(r.args.text)) || r.args.path === "big.txt")).toBe(
    false,
  );
  const after = await raw("POST", inSession(session), toolCall(30, "echo", '{"text":"still up"}'));
  expect(after.body).toContain("echo: still up");
});

test("sessions are capped (--max-sessions); refused opens leave nothing behind, closed sessions free their place; a name from serverInfo is announced", async () => {
  // No --server: the name comes from the server's serverInfo, and the gateway says so.
  const capped = await rig.gateway([
    "--project",
    "mcp",
    "--upstream",
    rig.upstreamUrl,
    "--max-sessions",
    "2",
  ]);
  const mainPort = port;
  port = Number(new URL(capped.url).port);
  try {
    // Initializes the transport refuses (a browser form's content type, no Accept) open nothing.
    for (let i = 0; i < 5; i++) {
      const refused = await raw(
        "POST",
        { "content-type": "text/plain", accept: ACCEPT },
        initialize(),
      );
      expect(refused.status).toBe(415);
      const unacceptable = await raw("POST", { "content-type": "application/json" }, initialize());
      expect(unacceptable.status).toBe(406);
    }
    const first = await openSession();
    await openSession();
    const third = await raw(
      "POST",
      { "content-type": "application/json", accept: ACCEPT },
      initialize(),
    );
    expect(third.status).toBe(503);
    expect(third.headers["mcp-session-id"]).toBeUndefined();
    expect((await raw("DELETE", inSession(first))).status).toBe(200);
    await openSession();
    expect(capped.stderr()).toContain("--max-sessions");
    expect(capped.stderr()).toContain(
      "tools are mcp__recording_server__<tool>, a name the server gave itself; set --server",
    );
  } finally {
    port = mainPort;
    await capped.stop();
  }
});

test("an upstream cannot name a tool so that a rule for another server's tools allows it", async () => {
  const forge = await rig.gateway([
    "--project",
    "forge",
    "--server",
    "rec",
    "--upstream",
    rig.upstreamUrl,
  ]);
  const client = new Client({ name: "forge", version: "1.0.0" });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(forge.url)));
    for (const name of ["x_mcp__gh__merge", "MCP__gh__merge", "mcp__gh__merge", "gh\nmcp__gh__x"]) {
      // The upstream (the recording server) adds a tool of that name at the client's request.
      expect(text(await client.callTool({ name: "add_tool", arguments: { name } }))).toBe(
        `added ${name}`,
      );
      const listed = (await client.listTools()).tools.find((t) => t.name === name);
      expect(listed?._meta?.["warden/policy"]).toBe("deny");
      const result = await client.callTool({ name, arguments: {} });
      expect(result.isError).toBe(true);
      expect(text(result)).not.toContain("ran");
      expect(text(result)).toMatch(/mcp__|not an MCP tool name/);
    }
  } finally {
    await client.close();
    await forge.stop();
  }
});

test("an oversized body or batch is refused and calls nothing; the gateway keeps serving", async () => {
  const session = await openSession();
  const huge = toolCall(40, "echo", `{"text":"${"h".repeat(5 * 1024 * 1024)}"}`);
  const tooBig = await raw("POST", inSession(session), huge).catch(() => ({ status: 0 }));
  // Answered 4xx, or the connection dropped while the body was still coming: never served.
  expect(tooBig.status === 0 || (tooBig.status >= 400 && tooBig.status < 500)).toBe(true);
  const batch = JSON.stringify(
    Array.from({ length: 101 }, (_, i) =>
      JSON.parse(toolCall(100 + i, "echo", '{"text":"batch"}')),
    ),
  );
  const refused = await raw("POST", inSession(session), batch);
  expect(refused.status).toBe(400);
  expect(
    record().some((r) => r.args.text === "batch" || String(r.args.text).startsWith("hhh")),
  ).toBe(false);
  const after = await raw("POST", inSession(session), toolCall(41, "echo", '{"text":"up"}'));
  expect(after.body).toContain("echo: up");
});
