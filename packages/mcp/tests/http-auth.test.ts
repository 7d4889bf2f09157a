// Upstream authorization over Streamable HTTP: an upstream that wants OAuth answers 401 with
// `WWW-Authenticate`; the client must get that answer as it is (to run its OAuth flow against the
// upstream's authorization server), and the tokens it then sends pass through, never logged.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { initializeRequest } from "./fixtures/raw-http.ts";
import { type Rig, startRig } from "./fixtures/rig.ts";

const TOKEN = "Bearer oauth-access-token-5d1e";
const STALE = "Bearer expired-token-0b77";
const READ_ONLY = "Bearer read-only-token-77aa";
let rig: Rig;
let gateway: Awaited<ReturnType<Rig["gateway"]>>;

beforeAll(async () => {
  rig = await startRig({
    upstream: { REQUIRE_AUTHORIZATION: TOKEN, READ_ONLY_AUTHORIZATION: READ_ONLY },
  });
  gateway = await rig.recGateway("mcp");
});

afterAll(async () => {
  await rig?.stop();
});

/** POSTs one JSON-RPC message to the gateway as a Streamable HTTP client does. */
function post(message: object, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(gateway.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": LATEST_PROTOCOL_VERSION,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", ...message }),
  });
}

const initialize = initializeRequest();

test("an upstream's 401 with WWW-Authenticate reaches the client as it is, at initialize", async () => {
  for (const headers of [{}, { authorization: STALE }] as Record<string, string>[]) {
    const response = await post(initialize, headers);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer error="invalid_token", resource_metadata="${new URL(rig.upstreamUrl).origin}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(response.headers.get("mcp-session-id")).toBeNull();
  }
  // The SDK's client (no auth provider) sees the 401 as such.
  const client = new Client({ name: "no-token", version: "1.0.0" });
  const failed = await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url))).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failed).toBeInstanceOf(StreamableHTTPError);
  expect((failed as StreamableHTTPError).code).toBe(401);
});

test("an upstream's 403 asking for a wider scope reaches the client as it is", async () => {
  const response = await post(initialize, { authorization: READ_ONLY });
  expect(response.status).toBe(403);
  expect(response.headers.get("www-authenticate")).toBe(
    'Bearer error="insufficient_scope", scope="mcp:write"',
  );
});

test("with the token, calls go through; the session is bound to it: another token gets 'Session not found', and starting again with a refused one gets the 401", async () => {
  const client = new Client({ name: "with-token", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(gateway.url), {
    requestInit: { headers: { authorization: TOKEN } },
  });
  await client.connect(transport);
  const result = await client.callTool({ name: "echo", arguments: { text: "authorized" } });
  expect(result.isError).toBeFalsy();
  expect(rig.record()).toContainEqual({
    tool: "echo",
    args: { text: "authorized" },
    authorization: TOKEN,
  });

  // The same session with other credentials (a refreshed token, or someone else's request with
  // this session id) is not served in it: the spec's answer is 404, and the client starts again.
  const session = { "mcp-session-id": transport.sessionId! };
  const list = { id: 99, method: "tools/list", params: {} };
  const other = await post(list, { ...session, authorization: STALE });
  expect(other.status).toBe(404);
  // Starting again with a token the upstream refuses gets the upstream's 401, for its OAuth flow.
  const refused = await post(initialize, { authorization: STALE });
  expect(refused.status).toBe(401);
  expect(refused.headers.get("www-authenticate")).toContain("resource_metadata=");
  // The session itself is untouched.
  const retried = await post(list, { ...session, authorization: TOKEN });
  expect(retried.status).toBe(200);
  expect(await retried.text()).toContain('"name":"echo"');
  await client.close();
});

test("no token, good or refused, appears in the gateway's logs", async () => {
  // Each token passes through the gateway here, whichever tests ran before.
  for (const authorization of [TOKEN, STALE, READ_ONLY]) await post(initialize, { authorization });
  await post(initialize);
  expect(gateway.stderr()).not.toContain("oauth-access-token");
  expect(gateway.stderr()).not.toContain("expired-token");
  expect(gateway.stderr()).not.toContain("read-only-token");
  expect(gateway.stderr()).not.toContain("who are you");
});
