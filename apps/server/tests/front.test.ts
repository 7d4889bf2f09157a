// The server's public port, as an attacker meets it: a real server process (front + engine), real
// HTTP and WebSockets. Foreign origins get no CORS allowance; a call refused for its key or token
// is refused before the engine creates anything (the engine, listed with its admin token, holds
// no such actor afterwards); the engine's API needs its admin token.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { WardenRegistry } from "@warden/server";
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createWorkspace,
  type ServerProcess,
  spawnServer,
  type Workspace,
} from "./server-process.ts";

const AGENT = "front-agent-token-0123456789abcdef";
const APPROVER = "front-approver-token-0123456789abcdef";
const OTHER = "front-other-project-token-0123456789";
const INBOX = "http://inbox.test:5173";
const EVIL = "https://evil.example";

let workspace: Workspace;
let server: ServerProcess;
let base: string;
let adminToken: string;
let client: ReturnType<typeof createClient<WardenRegistry>>;

beforeAll(async () => {
  workspace = await createWorkspace();
  const config = await workspace.writeConfig({
    allowedOrigins: [INBOX],
    tokens: {
      [AGENT]: { id: "agent-1", role: "agent", projects: ["demo"] },
      [APPROVER]: { id: "alice", role: "approver", projects: ["demo"] },
      [OTHER]: { id: "mallory", role: "agent", projects: ["other"] },
    },
  });
  server = spawnServer(["--config", config], { pidFile: join(workspace.dir, "server.pid") });
  await server.waitFor(/listening on/, 60_000);
  base = `http://127.0.0.1:${workspace.port}`;
  adminToken = (await readFile(join(workspace.storage, "engine-admin-token"), "utf8")).trim();
  client = createClient<WardenRegistry>(base);
});

afterAll(async () => {
  await client?.dispose();
  await workspace?.remove();
});

/** Keys of every actor of a name the engine holds, read with its admin token. */
async function actorKeys(name: "permissionSession" | "wardenProject"): Promise<string[]> {
  const response = await fetch(`${base}/actors?namespace=default&name=${name}`, {
    headers: { Authorization: `Bearer ${adminToken}` },
  });
  expect(response.status).toBe(200);
  const { actors } = (await response.json()) as { actors: { key: string }[] };
  return actors.map((a) => a.key);
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code?: string }) => error.code ?? String(error),
  );

/** The gateway path RivetKit's client uses to call an action on an actor by key. */
const byKey = (name: string, key: string, method = "getOrCreate") =>
  `/gateway/${name}/action/listPending?rvt-namespace=default&rvt-method=${method}` +
  (method === "getOrCreate" ? "&rvt-runner=default&rvt-crash-policy=sleep" : "") +
  `&rvt-key=${encodeURIComponent(key)}`;

const actionHeaders = (token: string | undefined, extra: Record<string, string> = {}) => ({
  "content-type": "application/json",
  "x-rivet-encoding": "json",
  ...(token !== undefined ? { "x-rivet-conn-params": JSON.stringify({ token }) } : {}),
  ...extra,
});

const callByKey = (path: string, token: string | undefined, extra: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: actionHeaders(token, extra),
    body: JSON.stringify({ args: [] }),
  });

/** Opens a WebSocket the way RivetKit's client does; resolves with how it ended. */
function openSocket(path: string, protocols: string[]) {
  return new Promise<{ opened: boolean; code: number; reason: string; messages: string[] }>(
    (resolve) => {
      const messages: string[] = [];
      let opened = false;
      const socket = new WebSocket(`${base.replace("http", "ws")}${path}`, protocols);
      socket.onopen = () => {
        opened = true;
      };
      socket.onmessage = (event) => messages.push(String(event.data));
      socket.onclose = (event) =>
        resolve({ opened, code: event.code, reason: event.reason, messages });
      socket.onerror = () => undefined;
    },
  );
}

/** A raw upgrade request (any headers); resolves with the status line the server answered. */
async function rawUpgrade(path: string, headers: Record<string, string>): Promise<string> {
  const { connect } = await import("node:net");
  return new Promise((resolve, reject) => {
    const socket = connect(workspace.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n")) {
        socket.destroy();
        resolve(answer.split("\r\n")[0]!);
      }
    });
    socket.on("error", reject);
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${workspace.port}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Version: 13",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  });
}

const ROUTE_CLASSES = [
  ["an actor by key (session)", byKey("permissionSession", "demo,cors")],
  ["an actor by key (the inbox's project actor)", byKey("wardenProject", "demo")],
  ["an actor by id", "/gateway/0000000000000000000000000000/action/listPending"],
  ["the engine's API", "/actors?namespace=default"],
  ["the client's metadata", "/metadata"],
  ["an unknown path", "/no/such/route"],
] as const;

describe("CORS", () => {
  test.each(ROUTE_CLASSES)(
    "a foreign origin's preflight to %s gets no allowance",
    async (_, path) => {
      const response = await fetch(`${base}${path}`, {
        method: "OPTIONS",
        headers: {
          Origin: EVIL,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type, x-rivet-conn-params",
        },
      });
      expect(response.status).toBe(403);
      const granted = [...response.headers.keys()].filter((h) => h.startsWith("access-control-"));
      expect(granted).toEqual([]);
    },
  );

  test.each(ROUTE_CLASSES)(
    "the configured origin's preflight to %s is allowed",
    async (_, path) => {
      const response = await fetch(`${base}${path}`, {
        method: "OPTIONS",
        headers: {
          Origin: INBOX,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type, x-rivet-conn-params, x-rivet-encoding",
        },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(INBOX);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("access-control-allow-headers")).toContain("x-rivet-conn-params");
    },
  );

  test("the request after a foreign preflight is refused, with no allowance", async () => {
    const action = await callByKey(byKey("permissionSession", "demo,after"), AGENT, {
      Origin: EVIL,
    });
    expect(action.status).toBe(403);
    expect(await action.json()).toMatchObject({ group: "user", code: "forbidden" });
    expect(action.headers.get("access-control-allow-origin")).toBeNull();
    const api = await fetch(`${base}/actors?namespace=default&name=permissionSession`, {
      headers: { Origin: EVIL, Authorization: `Bearer ${adminToken}` },
    });
    expect(api.status).toBe(403);
    expect(api.headers.get("access-control-allow-origin")).toBeNull();
    // A WebSocket from a foreign page is refused at the handshake.
    const status = await rawUpgrade(
      byKey("permissionSession", "demo,after").replace("/action/listPending", "/connect"),
      {
        Origin: EVIL,
        "Sec-WebSocket-Protocol": `rivet, rivet_encoding.json, rivet_conn_params.${encodeURIComponent(JSON.stringify({ token: AGENT }))}`,
      },
    );
    expect(status).toMatch(/^HTTP\/1\.1 403/);
    expect(await actorKeys("permissionSession")).not.toContain("demo/after");
  });

  test("the configured origin's call passes, with its allowance and none of the engine's", async () => {
    const response = await callByKey(byKey("permissionSession", "demo,inbox"), APPROVER, {
      Origin: INBOX,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ output: [] });
    expect(response.headers.get("access-control-allow-origin")).toBe(INBOX);
    expect(response.headers.get("vary")).toBe("Origin");
  });

  test("a call without an Origin (SDK, CLI) gets no CORS headers at all", async () => {
    const response = await callByKey(byKey("permissionSession", "demo,sdk"), AGENT);
    expect(response.status).toBe(200);
    const cors = [...response.headers.keys()].filter((h) => h.startsWith("access-control-"));
    expect(cors).toEqual([]);
  });
});

describe("a refused call creates nothing", () => {
  const session = (key: string[], params?: object) =>
    client.permissionSession.getOrCreate(key, params ? { params } : {});

  test.each([
    ["a token of another project", ["other-project", "s"], { token: AGENT }, "forbidden"],
    [
      "a token of another project (project actor)",
      ["other-project"],
      { token: AGENT },
      "forbidden",
    ],
    ["no token", ["demo", "no-token"], undefined, "unauthorized"],
    [
      "an unknown token",
      ["demo", "wrong-token"],
      { token: "not-a-token-of-this-server" },
      "unauthorized",
    ],
    ["a third key element", ["demo", "s", "x"], { token: AGENT }, "invalid_input"],
    ["one key element", ["demo"], { token: AGENT }, "invalid_input"],
    ["a session id with a space", ["demo", "a b"], { token: AGENT }, "invalid_input"],
    ["a relative cwd", ["demo", "relative"], { token: AGENT, cwd: "repo" }, "invalid_input"],
  ] as const)(
    "getOrCreate with %s: typed error over HTTP and WebSocket, no actor",
    async (name, key, params, code) => {
      const actor = name.includes("project actor") ? "wardenProject" : "permissionSession";
      const handle = (actor === "wardenProject"
        ? client.wardenProject.getOrCreate([...key], params ? { params } : {})
        : session([...key], params)) as unknown as {
        listPending?: () => Promise<unknown>;
        listInbox?: () => Promise<unknown>;
        connect(): { onError(cb: (e: unknown) => void): void; dispose(): Promise<void> };
      };
      const call = handle.listPending ?? handle.listInbox;
      await expect(codeOf(call!())).resolves.toBe(code);
      const conn = handle.connect();
      const error = await new Promise<{ code?: string; group?: string }>((resolve) =>
        conn.onError((e) => resolve(e as { code?: string })),
      );
      await conn.dispose();
      expect(error).toMatchObject({ group: "user", code });
      // The actor's own message (from the front's Error frame), not only the close reason.
      expect((error as { message?: string }).message).not.toMatch(/^Connection closed/);
      expect(await actorKeys(actor)).not.toContain(key.join("/"));
    },
  );

  test("a call to an actor id that does not exist creates nothing", async () => {
    const before = await actorKeys("permissionSession");
    const response = await callByKey(
      "/gateway/0000000000000000000000000000/action/listPending",
      AGENT,
    );
    expect(response.ok).toBe(false);
    expect(await actorKeys("permissionSession")).toEqual(before);
  });

  test("get by key with another project's token is refused the same way", async () => {
    const handle = client.permissionSession.get(["other-project", "get"], {
      params: { token: AGENT },
    });
    await expect(codeOf(handle.listPending())).resolves.toBe("forbidden");
  });

  test("create through the engine's API needs its admin token", async () => {
    const created = client.permissionSession.create(["other-project", "created"], {
      params: { token: AGENT },
    });
    await expect(created).rejects.toMatchObject({ group: "api", code: "forbidden" });
    for (const method of ["POST", "PUT"]) {
      const response = await fetch(`${base}/actors?namespace=default`, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "permissionSession",
          key: "other-project/api",
          runner_name_selector: "default",
          crash_policy: "sleep",
        }),
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ group: "api", code: "forbidden" });
    }
  });

  test.each([
    [
      "an encoded actor name",
      "/gateway/permission%53ession/action/listPending?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-key=other-project,enc",
      "forbidden",
    ],
    [
      "an encoded key separator",
      "/gateway/permissionSession/action/listPending?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-key=other-project%2Csep",
      "forbidden",
    ],
    [
      "a capitalised parameter",
      "/gateway/permissionSession/action/listPending?rvt-namespace=default&RVT-method=getOrCreate&rvt-runner=default&rvt-key=other-project,cap",
      "invalid_input",
    ],
    [
      "an encoded parameter name",
      "/gateway/permissionSession/action/listPending?rvt-namespace=default&rvt%2Dmethod=getOrCreate&rvt-runner=default&rvt-key=other-project,encname",
      "invalid_input",
    ],
    [
      "a key given twice",
      "/gateway/permissionSession/action/listPending?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-key=demo,twice&rvt-key=other-project,twice",
      "invalid_input",
    ],
    [
      "an unknown actor name",
      "/gateway/someActor/action/x?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-key=demo,x",
      "invalid_input",
    ],
    [
      "an unknown method",
      "/gateway/permissionSession/action/listPending?rvt-namespace=default&rvt-method=create&rvt-runner=default&rvt-key=other-project,m",
      "invalid_input",
    ],
  ])("a raw gateway call with %s is refused", async (_, path, code) => {
    const response = await callByKey(path, AGENT);
    expect(await response.json()).toMatchObject({ group: "user", code });
    const keys = await actorKeys("permissionSession");
    expect(keys.filter((k) => k.startsWith("other-project"))).toEqual([]);
  });

  test("the engine's header routes and runner routes need its admin token", async () => {
    for (const [path, headers] of [
      ["/action/listPending", { "x-rivet-target": "actor", "x-rivet-actor": "0000" }],
      ["/envoys/connect", {}],
      ["/runners/connect", {}],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method: "POST", headers, body: "{}" });
      expect(response.status, path).toBe(403);
    }
  });

  // The engine routes by header or WebSocket protocol a request whose path it does not route, so
  // the open paths must not carry either: they would reach its runner, envoy and actor routes.
  test.each([
    ["/health", "runner"],
    ["/health", "api-public"],
    ["/metadata", "runner"],
    ["/metadata", "actor"],
  ])(
    "GET %s routed by header to the engine's %s route needs its admin token",
    async (path, target) => {
      const refused = await fetch(`${base}${path}`, {
        headers: { "x-rivet-target": target, "x-rivet-actor": "0000", "x-rivet-token": "x" },
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ group: "api", code: "forbidden" });
    },
  );

  test.each([
    ["/health", "rivet_target.runner"],
    ["/metadata", "rivet_target.runner"],
    ["/metadata", "rivet, rivet_target.actor, rivet_actor.0000, rivet_encoding.json"],
    ["/health", "rivet"],
  ])("a WebSocket to %s (protocols %s) is refused before the engine", async (path, protocols) => {
    expect(await rawUpgrade(path, { "Sec-WebSocket-Protocol": protocols })).toBe(
      "HTTP/1.1 403 Refused",
    );
  });

  test("the open paths routed by header pass with the engine's admin token (the same route)", async () => {
    const response = await fetch(`${base}/health`, {
      headers: { "x-rivet-target": "api-public", Authorization: `Bearer ${adminToken}` },
    });
    expect(response.status).toBe(200);
  });

  test("a request smuggled behind an upgrade the engine declines never reaches it", async () => {
    const { connect } = await import("node:net");
    const params = JSON.stringify({ token: AGENT });
    const smuggled = `${byKey("permissionSession", "other-project,smuggled")}`;
    const body = JSON.stringify({ args: [] });
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(workspace.port, "127.0.0.1");
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        // A second answer means the engine served the smuggled request.
        if ((text.match(/HTTP\/1\.1 \d{3}/g) ?? []).length > 1) socket.destroy();
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write(
        // An upgrade to an actor by id that the engine declines (no key), keeping the socket...
        "GET /gateway/0000000000000000000000000000/connect HTTP/1.1\r\n" +
          `Host: 127.0.0.1:${workspace.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n` +
          // ...then a call by key that the front would refuse.
          `POST ${smuggled} HTTP/1.1\r\nHost: 127.0.0.1:${workspace.port}\r\n` +
          `content-type: application/json\r\nx-rivet-encoding: json\r\nx-rivet-conn-params: ${params}\r\n` +
          `content-length: ${body.length}\r\n\r\n${body}`,
      );
    });
    expect(answer).not.toMatch(/^HTTP\/1\.1 101/);
    expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toHaveLength(1);
    expect(await actorKeys("permissionSession")).not.toContain("other-project/smuggled");
  });

  test("a raw WebSocket refused at the front closes as the actor would, in JSON", async () => {
    const params = encodeURIComponent(JSON.stringify({ token: AGENT }));
    const closed = await openSocket(
      byKey("permissionSession", "other-project,ws").replace("/action/listPending", "/connect"),
      ["rivet", "rivet_encoding.json", `rivet_conn_params.${params}`],
    );
    expect(closed).toMatchObject({ opened: true, code: 1011, reason: "user.forbidden" });
    expect(JSON.parse(closed.messages[0]!)).toMatchObject({
      body: { tag: "Error", val: { group: "user", code: "forbidden" } },
    });
    expect(await actorKeys("permissionSession")).not.toContain("other-project/ws");
  });
});

describe("what works today still works through the front", () => {
  test("an allowed call over a connection, with events", async () => {
    const agent = client.permissionSession.getOrCreate(["demo", "live"], {
      params: { token: AGENT },
    });
    const conn = agent.connect();
    const pending = await conn.listPending();
    expect(pending).toEqual([]);
    await conn.dispose();
    expect(await actorKeys("permissionSession")).toContain("demo/live");
  });

  test("health and metadata answer without a token", async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/metadata`)).status).toBe(200);
  });

  test("a large body streams through", async () => {
    const big = "x".repeat(200_000);
    const response = await fetch(
      `${base}${byKey("permissionSession", "demo,big").replace("listPending", "requestPermission")}`,
      {
        method: "POST",
        headers: actionHeaders(AGENT),
        body: JSON.stringify({
          args: [{ requestId: "big", toolName: "Read", input: { file_path: big }, waitMs: 0 }],
        }),
      },
    );
    // The actor's own limit answers (typed), which means the whole body reached it.
    expect(await response.json()).toMatchObject({ group: "user", code: "invalid_input" });
  });
});

describe("an oversized message is refused, typed, and changes nothing", () => {
  // Over the actors' limit (256 KiB, MAX_MESSAGE_BYTES) and far over it.
  const SIZES = [400 * 1024, 20 * 1024 * 1024];
  const huge = (size: number) => ({
    requestId: `huge-${size}`,
    toolName: "Bash",
    input: { command: "x".repeat(size) },
    waitMs: 0,
  });
  /** What a refusal must leave as it was: the session's requests and its audit log. */
  const stateOf = async (sessionId: string) => {
    const approver = client.permissionSession.getOrCreate(["demo", sessionId], {
      params: { token: APPROVER },
    });
    return { pending: await approver.listPending(), history: await approver.getHistory() };
  };
  const healthy = async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const agent = client.permissionSession.getOrCreate(["demo", "after-huge"], {
      params: { token: AGENT },
    });
    await expect(
      agent.requestPermission({
        requestId: "small",
        toolName: "Bash",
        input: { command: "ls" },
        waitMs: 0,
      }),
    ).resolves.toMatchObject({ status: "pending" });
  };

  const postHuge = (sessionId: string, size: number, chunked = false) => {
    const body = JSON.stringify({ args: [huge(size)] });
    return fetch(
      `${base}${byKey("permissionSession", `demo,${sessionId}`).replace("listPending", "requestPermission")}`,
      {
        method: "POST",
        headers: actionHeaders(AGENT),
        // A stream has no declared length: the front must count what arrives.
        body: chunked ? new Blob([body]).stream() : body,
        ...(chunked ? { duplex: "half" } : {}),
      } as RequestInit,
    );
  };

  test.each(SIZES)("an HTTP action call with a %i-byte body", async (size) => {
    const sessionId = `huge-http-${size}`;
    const before = await stateOf(sessionId);
    const response = await postHuge(sessionId, size);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ group: "message", code: "incoming_too_long" });
    expect(await stateOf(sessionId)).toEqual(before);
    await healthy();
  });

  test.each([
    [SIZES[0]!, false],
    [SIZES[0]!, true],
    [SIZES[1]!, true],
  ] as const)(
    "a %i-byte call (streamed: %s) to a session that does not exist creates nothing",
    async (size, chunked) => {
      const sessionId = `huge-new-${size}-${chunked}`;
      const response = await postHuge(sessionId, size, chunked);
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ group: "message", code: "incoming_too_long" });
      expect((await actorKeys("permissionSession")).join("\n")).not.toContain(sessionId);
      await healthy();
    },
  );

  test.each(SIZES)("a WebSocket frame of %i bytes", async (size) => {
    const sessionId = `huge-ws-${size}`;
    const before = await stateOf(sessionId);
    const conn = client.permissionSession
      .getOrCreate(["demo", sessionId], { params: { token: AGENT } })
      .connect();
    try {
      await conn.listPending();
      await expect(conn.requestPermission(huge(size))).rejects.toMatchObject({
        group: "message",
        code: "incoming_too_long",
      });
      // The connection comes back by itself and serves the next call.
      await expect(conn.listPending()).resolves.toEqual([]);
    } finally {
      await conn.dispose();
    }
    expect(await stateOf(sessionId)).toEqual(before);
    await healthy();
  });
});
