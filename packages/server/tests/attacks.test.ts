// The attack suite: every way into a running Warden (actions and events of every actor, keys,
// creation input, inputs, replies, project rules, the engine's HTTP API), each attack asserting
// the typed error and that the session, the project's rules and the inbox did not change.
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";
import { policySource } from "@warden/rules";
import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
// The server's front (the public port of apps/server): the engine listens behind it on loopback.
import { type RunningFront, startFront } from "../../../apps/server/src/front-proxy.ts";
import { ACCESS, type CallerRole, type WardenRegistry } from "../src/index.ts";
import { findEnginePort } from "../src/testing.ts";
import { type RunningWarden, startWarden, type TokenName } from "./warden-harness.ts";

let warden: RunningWarden;
let front: RunningFront;
/** Where clients connect: the front, as apps/server serves it. */
let publicEndpoint: string;
let publicClient: ReturnType<typeof createClient<WardenRegistry>>;
/** The one browser origin the front allows (the inbox's). */
const INBOX_ORIGIN = "https://inbox.example";

beforeAll(async () => {
  warden = await startWarden({
    maxPendingPerSession: 20,
    policy: {
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 600 },
        rules: [{ tool: "Read", behavior: "allow" }],
      }),
    },
  });
  const port = await findEnginePort();
  front = await startFront({
    host: "127.0.0.1",
    port,
    engine: { host: "127.0.0.1", port: warden.slot.port },
    allowedOrigins: [INBOX_ORIGIN],
    adminToken: warden.slot.adminToken,
    admit: warden.admit,
  });
  publicEndpoint = `http://127.0.0.1:${port}`;
  publicClient = createClient<WardenRegistry>(publicEndpoint);
});

afterAll(async () => {
  await publicClient?.dispose();
  await front?.close();
  await warden?.stop();
});

/** Keys of every actor of a name the engine holds, listed with its admin token. */
/** A raw WebSocket upgrade through the front: its status (101 when accepted) and raw headers. */
function rawUpgrade(path: string, protocols: readonly string[]) {
  return new Promise<{ status: number; rawHeaders: string[] }>((resolve, reject) => {
    const request = httpRequest({
      host: "127.0.0.1",
      port: new URL(publicEndpoint).port,
      path,
      agent: false,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Protocol": protocols.join(", "),
      },
    });
    request.on("upgrade", (response, socket) => {
      socket.destroy();
      resolve({ status: 101, rawHeaders: response.rawHeaders });
    });
    request.on("response", (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, rawHeaders: response.rawHeaders });
    });
    request.on("error", reject);
    request.end();
  });
}

async function engineKeys(name: ActorName): Promise<string[]> {
  const response = await fetch(`${publicEndpoint}/actors?namespace=default&name=${name}`, {
    headers: { Authorization: `Bearer ${warden.slot.adminToken}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { actors: { key: string }[] }).actors.map((a) => a.key);
}

type Call = (...args: unknown[]) => Promise<unknown>;
type ActionKey =
  | keyof typeof ACCESS.permissionSession.actions
  | keyof typeof ACCESS.wardenProject.actions;
type Handle = Record<ActionKey, Call>;
type ActorName = keyof typeof ACCESS;

const session = (token: TokenName | undefined, key: string[], extra: object = {}): Handle =>
  warden.client.permissionSession.getOrCreate(key, {
    ...(token !== undefined ? { params: { token } } : {}),
    ...extra,
  }) as unknown as Handle;
const project = (token: TokenName | undefined, key: string[]): Handle =>
  warden.client.wardenProject.getOrCreate(key, {
    ...(token !== undefined ? { params: { token } } : {}),
  }) as unknown as Handle;
const raw = (token: string, key: string[], actor: ActorName): Handle =>
  (warden.client[actor].getOrCreate as (k: string[], o: object) => unknown)(key, {
    params: { token },
  }) as Handle;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "ok",
    (error: { code?: string }) => error.code ?? String(error),
  );

/** What an attack must not change: the session, the project's rules and the inbox. */
async function snapshot(sessionId: string) {
  const admin = session("admin", ["p1", sessionId]);
  const proj = project("admin", ["p1"]);
  const [pending, rules, usage, history, policy, projectRules, inbox] = await Promise.all([
    admin.listPending(),
    admin.listRules(),
    admin.getUsage(),
    admin.getHistory(),
    admin.getPolicy(),
    proj.listProjectRules(),
    proj.listInbox(),
  ]);
  return { pending, rules, usage, history, policy, projectRules, inbox };
}

/**
 * The snapshot once it holds still: the inbox is told of requests and resolutions in the
 * background, so a read right after an earlier test's request may not show it yet (or may still
 * show a resolved one). Two equal reads in a row mean nothing is in flight.
 */
async function settledSnapshot(sessionId: string) {
  let previous = await snapshot(sessionId);
  const deadline = Date.now() + 60_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await snapshot(sessionId);
    if (isDeepStrictEqual(next, previous) || Date.now() > deadline) return next;
    previous = next;
  }
}

async function expectRefusedUnchanged(
  sessionId: string,
  attack: () => Promise<unknown>,
  code: string,
) {
  const before = await settledSnapshot(sessionId);
  await expect(codeOf(attack())).resolves.toBe(code);
  expect(await settledSnapshot(sessionId)).toEqual(before);
}

/** Asks, and waits until the inbox shows the request (it is told in the background). */
async function askPending(sessionId: string, requestId: string, command: string) {
  const pending = (await session("agent", ["p1", sessionId]).requestPermission(
    ask(requestId, command),
  )) as { permissionId: string };
  await vi.waitFor(
    async () => {
      const inbox = (await project("admin", ["p1"]).listInbox()) as {
        requests: { permissionId: string }[];
      };
      expect(inbox.requests.map((r) => r.permissionId)).toContain(pending.permissionId);
    },
    { timeout: 30_000, interval: 100 },
  );
  return pending;
}

const ask = (requestId: string, command: string) => ({
  requestId,
  toolName: "Bash",
  input: { command },
  waitMs: 0,
});

/** One local decision as the SDK reports it (a rule-allowed Read unless told otherwise). */
const localEntry = (requestId: string, over: object = {}) => ({
  requestId,
  toolName: "Read",
  input: { file_path: `/r/${requestId}` },
  decision: "allow",
  policyVersion: "v-test",
  decidedAt: 1,
  ...over,
});

/** Arguments that pass validation, so that only the caller decides the outcome. */
const ARGS: Record<ActorName, Record<string, (sessionId: string) => unknown[]>> = {
  permissionSession: {
    requestPermission: () => [
      { requestId: `r-${Math.random()}`, toolName: "Read", input: { file_path: "a" }, waitMs: 0 },
    ],
    recordLocalDecisions: () => [[localEntry(`l-${Math.random()}`)]],
    waitForDecision: () => ["no-such-request", 0],
    cancelRequest: () => ["no-such-request"],
    getRequest: () => ["perm_none"],
    listPending: () => [],
    getHistory: () => [],
    respondPermission: (sessionId) => [sessionId, "perm_none", "once"],
    listRules: () => [],
    getPolicy: () => [],
    getUsage: () => [],
    addRule: () => [{ tool: "Bash(make)", behavior: "allow" }],
    removeRule: () => ["rule_none"],
    setMode: () => [null],
    expirePermission: () => ["perm_none"],
    reloadProjectRules: () => [],
    dropProjectRules: () => [],
  },
  wardenProject: {
    listProjectRules: () => [],
    loadSessionRules: (sessionId) => [sessionId],
    addProjectRules: () => [[{ tool: "Bash(make lint)", behavior: "allow" }]],
    removeProjectRule: () => ["prule_none"],
    getProjectRulesLog: () => [],
    noteInbox: (sessionId) => [{ sessionId, changes: [], history: [] }],
    reconcileInbox: () => [],
    pushRuleChanges: () => [],
    listInbox: () => [],
    getHistory: () => [],
    listSessions: () => [],
  },
};

/** The real actions of an actor, read from the running registry (not from the access table). */
function registeredActions(actor: ActorName): string[] {
  const use = warden.registry.config.use as Record<string, { config: { actions: object } }>;
  return Object.keys(use[actor]!.config.actions).sort();
}
function registeredEvents(actor: ActorName): string[] {
  const use = warden.registry.config.use as Record<string, { config: { events?: object } }>;
  return Object.keys(use[actor]!.config.events ?? {}).sort();
}

const ROLES: readonly (CallerRole & TokenName)[] = ["agent", "approver", "admin"];

describe("every action of every actor, with every caller", () => {
  test("every registered action and event has a row and call arguments", () => {
    for (const actor of Object.keys(ACCESS) as ActorName[]) {
      expect(registeredActions(actor)).toEqual(Object.keys(ARGS[actor]).sort());
      expect(registeredActions(actor)).toEqual(Object.keys(ACCESS[actor].actions).sort());
      expect(registeredEvents(actor)).toEqual(Object.keys(ACCESS[actor].events).sort());
    }
    expect(Object.keys(warden.registry.config.use).sort()).toEqual(Object.keys(ACCESS).sort());
  });

  const rows = (Object.keys(ARGS) as ActorName[]).flatMap((actor) =>
    Object.keys(ARGS[actor]).map((action) => [actor, action] as const),
  );
  test.each(rows)("%s.%s", async (actor, action) => {
    const sessionId = `t-${action}`;
    const key = actor === "permissionSession" ? ["p1", sessionId] : ["p1"];
    const args = ARGS[actor][action]!(sessionId);
    const handle = (token: TokenName | undefined) =>
      actor === "permissionSession" ? session(token, key) : project(token, key);
    // Outsiders first: no token, a wrong token, another project's token. Each changes nothing.
    const outsiders: [string, () => Handle, string][] = [
      ["no token", () => handle(undefined), "unauthorized"],
      ["wrong token", () => raw("not-a-token", key, actor), "unauthorized"],
      ["other project", () => handle("otherProject"), "forbidden"],
    ];
    const roles = ROLES.map((role) => {
      const allowed = (ACCESS[actor].actions as Record<string, readonly CallerRole[]>)[
        action
      ]!.includes(role);
      return [role, () => handle(role), allowed ? "run" : "forbidden"] as [
        string,
        () => Handle,
        string,
      ];
    });
    const refused = [...outsiders, ...roles.filter(([, , outcome]) => outcome === "forbidden")];
    // Settled once: the inbox may still be catching up with earlier tests; refusals change nothing.
    const before = await settledSnapshot(sessionId);
    for (const [who, caller, code] of refused) {
      const result = await codeOf((caller() as Record<string, Call>)[action]!(...args));
      expect(result, `${actor}.${action} as ${who}`).toBe(code);
      expect(await snapshot(sessionId), `${actor}.${action} as ${who} changed state`).toEqual(
        before,
      );
    }
    for (const [who, caller] of roles.filter(([, , outcome]) => outcome === "run")) {
      const result = await codeOf((caller() as Record<string, Call>)[action]!(...args));
      // Allowed: the call runs (its arguments name nothing that exists, so not_found is a run).
      expect(["ok", "not_found"], `${actor}.${action} as ${who}`).toContain(result);
    }
  });
});

describe("events carry what their reader may read", () => {
  test("an agent cannot connect to a project, nor receive its inbox", async () => {
    const conn = warden.client.wardenProject
      .getOrCreate(["p1"], { params: { token: "agent" } })
      .connect();
    const seen: unknown[] = [];
    conn.on("inboxChanged", (change) => seen.push(change));
    await expect(codeOf(conn.listInbox())).resolves.toBe("forbidden");
    const admin = warden.client.wardenProject
      .getOrCreate(["p1"], { params: { token: "admin" } })
      .connect();
    const adminSaw = new Promise((resolve) =>
      admin.on("inboxChanged", (change) => {
        if (change.sessionId === "ev-agent") resolve(change);
      }),
    );
    await admin.listInbox();
    await session("agent", ["p1", "ev-agent"]).requestPermission(ask("ev-a1", "make ev"));
    await adminSaw;
    expect(seen).toEqual([]);
    await Promise.all([conn.dispose(), admin.dispose()]);
  });

  test("an approver limited to some sessions receives only their inbox entries", async () => {
    const narrow = warden.client.wardenProject
      .getOrCreate(["p1"], { params: { token: "narrowApprover" } })
      .connect();
    const seen: string[] = [];
    const gotOwn = new Promise<void>((resolve) =>
      narrow.on("inboxChanged", (change) => {
        seen.push(change.sessionId);
        if (change.sessionId === "narrow") resolve();
      }),
    );
    await narrow.listInbox();
    await session("agent", ["p1", "ev-wide"]).requestPermission(ask("ev-w1", "make wide"));
    await session("agent", ["p1", "narrow"]).requestPermission(ask("ev-n1", "make narrow"));
    await gotOwn;
    expect(seen).toEqual(["narrow"]);
    await expect(codeOf(session("narrowApprover", ["p1", "ev-wide"]).listPending())).resolves.toBe(
      "forbidden",
    );
    await narrow.dispose();
  });

  test("an agent receives only its own requests and resolutions on a shared session", async () => {
    const other = session("agent2", ["p1", "ev-shared"]) as unknown as {
      connect(): ReturnType<ReturnType<typeof warden.session>["connect"]>;
    };
    const conn = other.connect();
    const requests: string[] = [];
    const resolutions: string[] = [];
    const ownRequest = new Promise<void>((resolve) =>
      conn.on("permissionRequest", (event) => {
        requests.push(event.request.requestedBy);
        if (event.request.requestedBy === "agent-2") resolve();
      }),
    );
    const ownResolution = new Promise<void>((resolve) =>
      conn.on("permissionResolved", (event) => {
        resolutions.push(event.requestId);
        if (event.requestId === "sh-2") resolve();
      }),
    );
    await conn.listPending();
    const first = (await session("agent", ["p1", "ev-shared"]).requestPermission(
      ask("sh-1", "make one"),
    )) as { permissionId: string };
    const second = (await session("agent2", ["p1", "ev-shared"]).requestPermission(
      ask("sh-2", "make two"),
    )) as { permissionId: string };
    await ownRequest;
    expect(requests).toEqual(["agent-2"]);
    const approver = session("approver", ["p1", "ev-shared"]);
    await approver.respondPermission("ev-shared", first.permissionId, "once");
    await approver.respondPermission("ev-shared", second.permissionId, "once");
    await ownResolution;
    expect(resolutions).toEqual(["sh-2"]);
    await conn.dispose();
  });

  test("connections without a valid token for the session are refused", async () => {
    for (const [token, code] of [
      [undefined, "unauthorized"],
      ["otherProject", "forbidden"],
      ["narrowApprover", "forbidden"],
    ] as const) {
      const conn = warden.client.permissionSession
        .getOrCreate(["p1", "ev-closed"], token ? { params: { token } } : {})
        .connect();
      const seen: unknown[] = [];
      conn.on("permissionRequest", (event) => seen.push(event));
      await expect(codeOf(conn.listPending())).resolves.toBe(code);
      expect(seen).toEqual([]);
      await conn.dispose();
    }
  });
});

describe("keys and creation input", () => {
  test.each([
    ["a third key element", ["p1", "keyed", "x"]],
    ["one element", ["p1"]],
    ["no elements", []],
    ["an empty session id", ["p1", ""]],
    ["a session id with spaces", ["p1", "a b"]],
  ])("a session key with %s is refused and changes nothing", async (_name, key) => {
    await askPending("keyed", `key-${Math.random().toString(36).slice(2)}`, "make keyed");
    await expectRefusedUnchanged(
      "keyed",
      () => session("admin", key).listPending(),
      "invalid_input",
    );
  });

  test("a project key with a second element is refused", async () => {
    await expectRefusedUnchanged(
      "keyed",
      () => project("admin", ["p1", "x"]).listInbox(),
      "invalid_input",
    );
  });

  test("creation input cannot set a session's cwd or home", async () => {
    const attacker = session(undefined, ["p1", "shaped"], {
      createWithInput: { cwd: "/", home: "/" },
    });
    await expect(codeOf(attacker.listPending())).resolves.toBe("unauthorized");
    const policy = (await session("admin", ["p1", "shaped"]).getPolicy()) as {
      context: { cwd?: string; home?: string };
    };
    expect(policy.context.cwd).toBeUndefined();
    expect(policy.context.home).toBeUndefined();
  });

  test("an agent's connection parameters set cwd and home once; other roles cannot; another place is refused", async () => {
    const approver = warden.client.permissionSession.getOrCreate(["p1", "placed"], {
      params: { token: "approver", cwd: "/", home: "/" },
    });
    await approver.listPending();
    const agent = warden.client.permissionSession.getOrCreate(["p1", "placed"], {
      params: { token: "agent", cwd: "/repo", home: "/home/agent" },
    });
    await agent.listPending();
    // A later agent in another place is refused, typed, naming the field but not the session's
    // value; one in the same place, or one that reports none, decides with the session's.
    const elsewhere = async (params: object) => {
      const later = warden.client.permissionSession.getOrCreate(["p1", "placed"], {
        params: { token: "agent2", ...params },
      });
      return later.listPending().then(
        () => "ok",
        (error: { code?: string; message?: string; metadata?: unknown }) => {
          expect(JSON.stringify(error)).not.toMatch(/\/repo|\/home\/agent/);
          return `${error.code}:${(error.metadata as { field?: string } | undefined)?.field}`;
        },
      );
    };
    await expect(elsewhere({ cwd: "/elsewhere", home: "/home/agent" })).resolves.toBe(
      "conflict:cwd",
    );
    await expect(elsewhere({ cwd: "/repo", home: "/" })).resolves.toBe("conflict:home");
    await expect(elsewhere({ cwd: "/repo", home: "/home/agent" })).resolves.toBe("ok");
    await expect(elsewhere({})).resolves.toBe("ok");
    const { context } = (await session("admin", ["p1", "placed"]).getPolicy()) as {
      context: { cwd?: string; home?: string };
    };
    expect(context).toMatchObject({ cwd: "/repo", home: "/home/agent" });
    const relative = warden.client.permissionSession.getOrCreate(["p1", "placed"], {
      params: { token: "agent", cwd: "repo" },
    });
    await expect(codeOf(relative.listPending())).resolves.toBe("invalid_input");
  });

  // Through the public port: the front refuses before the engine may create the actor. (The rows
  // above call the engine directly, where a malformed key still creates an inert actor: keys here
  // are their own.)
  test.each([
    ["another project's token", "permissionSession", ["other-project", "s"], "agent", "forbidden"],
    ["another project's token", "wardenProject", ["other-project"], "approver", "forbidden"],
    [
      "a session out of its token's reach",
      "permissionSession",
      ["p1", "wide"],
      "narrowApprover",
      "forbidden",
    ],
    ["no token", "permissionSession", ["other-project", "none"], undefined, "unauthorized"],
    ["an unknown token", "permissionSession", ["p1", "unknown"], "no-such-token", "unauthorized"],
    [
      "a third key element",
      "permissionSession",
      ["p1", "front-third", "x"],
      "agent",
      "invalid_input",
    ],
    ["one key element", "permissionSession", ["front-one"], "agent", "invalid_input"],
    [
      "a session id with spaces",
      "permissionSession",
      ["p1", "front a b"],
      "agent",
      "invalid_input",
    ],
    ["a second key element", "wardenProject", ["p1", "front-x"], "admin", "invalid_input"],
  ] as const)(
    "a call refused for %s (%s) creates nothing, over HTTP and WebSocket",
    async (_, name, key, token, code) => {
      const handle = (publicClient[name].getOrCreate as (k: string[], o: object) => unknown)(
        [...key],
        {
          ...(token !== undefined ? { params: { token } } : {}),
          createWithInput: { cwd: "/", home: "/" },
        },
      ) as Handle & {
        connect(): { onError(cb: (e: unknown) => void): void; dispose(): Promise<void> };
      };
      const call = name === "wardenProject" ? handle.listInbox() : handle.listPending();
      await expect(codeOf(call)).resolves.toBe(code);
      const conn = handle.connect();
      const error = await new Promise<unknown>((resolve) => conn.onError(resolve));
      await conn.dispose();
      expect(error).toMatchObject({ group: "user", code });
      expect(await engineKeys(name)).not.toContain(key.join("/"));
    },
  );

  test("get by key for another project is refused the same way, and create needs the engine's token", async () => {
    const got = publicClient.permissionSession.get(["other-project", "got"], {
      params: { token: "agent" },
    });
    await expect(codeOf(got.listPending())).resolves.toBe("forbidden");
    const response = await fetch(`${publicEndpoint}/actors?namespace=default`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "permissionSession",
        key: "other-project/created",
        runner_name_selector: "default",
        crash_policy: "sleep",
      }),
    });
    expect(response.status).toBe(403);
    expect(
      (await engineKeys("permissionSession")).filter((k) => k.startsWith("other-project/")),
    ).toEqual([]);
  });
});

describe("hostile inputs", () => {
  const nested = (depth: number) => {
    let value: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < depth; i++) value = { a: value };
    return value;
  };
  test.each([
    ["an oversized input", { ...ask("h-big", "x"), input: { command: "x".repeat(100 * 1024) } }],
    ["a deeply nested input", { ...ask("h-deep", "x"), input: nested(200) }],
    ["an unknown field", { ...ask("h-extra", "x"), extra: 1 }],
    ["a non-string tool", { ...ask("h-tool", "x"), toolName: { toString: "Bash" } }],
  ])("%s is invalid_input and changes nothing", async (_name, request) => {
    await expectRefusedUnchanged(
      "hostile",
      () => session("agent", ["p1", "hostile"]).requestPermission(request),
      "invalid_input",
    );
  });

  /**
   * Inputs with a key the transport renames (cbor-x: `__proto__` → `__proto_`) or drops (zod,
   * RivetKit's client), or one on the prototype-pollution path: with them, what is decided would
   * not be what was sent. RivetKit's client drops an own `__proto__` before sending (our SDK
   * refuses it first, input-limits.ts): those go over raw HTTP, in JSON and in CBOR, below.
   */
  const RESERVED = [
    '{"command":"make proto","__proto_":{"polluted":true}}',
    '{"command":"make proto","nested":{"__proto_":1}}',
    '{"command":"make proto","constructor":{"prototype":{"polluted":true}}}',
    '{"command":"make proto","list":[{"prototype":1}]}',
  ];
  const RAW_RESERVED = [
    ...RESERVED,
    '{"command":"make proto","__proto__":{"polluted":true}}',
    '{"command":"make proto","nested":{"__proto__":{"polluted":true}}}',
  ];

  /** An action called over plain HTTP through the front, its body as given (JSON or CBOR). */
  const rawAction = (
    actor: ActorName,
    key: string,
    action: string,
    token: string,
    body: string | Uint8Array,
  ) =>
    fetch(
      `${publicEndpoint}/gateway/${actor}/action/${action}?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep&rvt-key=${key}`,
      {
        method: "POST",
        headers: {
          "content-type":
            typeof body === "string" ? "application/json" : "application/octet-stream",
          "x-rivet-encoding": typeof body === "string" ? "json" : "cbor",
          "x-rivet-conn-params": JSON.stringify({ token }),
        },
        body,
      },
    );
  /** The CBOR encoder RivetKit itself uses (a dependency of rivetkit, resolved from it). */
  const cbor = createRequire(createRequire(import.meta.url).resolve("rivetkit"))("cbor-x") as {
    encode(value: unknown): Uint8Array;
    decode(bytes: Uint8Array): unknown;
  };

  test.each(RESERVED)("an input %s is invalid_input and changes nothing", async (json) => {
    const request = { ...ask(`p-${Math.random()}`, "x"), input: JSON.parse(json) };
    await expectRefusedUnchanged(
      "hostile",
      () => session("agent", ["p1", "hostile"]).requestPermission(request),
      "invalid_input",
    );
    // Over a WebSocket connection too.
    const conn = (
      session("agent", ["p1", "hostile"]) as unknown as {
        connect(): Handle & { dispose(): Promise<void> };
      }
    ).connect();
    try {
      await expectRefusedUnchanged(
        "hostile",
        () => conn.requestPermission(request),
        "invalid_input",
      );
    } finally {
      await conn.dispose();
    }
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  test.each(
    RAW_RESERVED.flatMap((json) => [
      ["JSON", json],
      ["CBOR", json],
    ]),
  )("over HTTP in %s, an input %s is invalid_input and changes nothing", async (encoding, json) => {
    const before = await settledSnapshot("hostile");
    const body = `{"args":[{"requestId":"p-http","toolName":"Bash","waitMs":0,"input":${json}}]}`;
    const sent = encoding === "JSON" ? body : cbor.encode(JSON.parse(body));
    const response = await rawAction(
      "permissionSession",
      "p1,hostile",
      "requestPermission",
      "agent",
      sent,
    );
    const answer =
      encoding === "JSON"
        ? await response.json()
        : cbor.decode(new Uint8Array(await response.arrayBuffer()));
    expect(answer).toMatchObject({ group: "user", code: "invalid_input" });
    expect(await settledSnapshot("hostile")).toEqual(before);
  });

  test.each(RESERVED)("an approver's edited input %s is invalid_input", async (json) => {
    const pending = await askPending("hostile-edit", `pe-${Math.random()}`, "make edit");
    await expectRefusedUnchanged(
      "hostile-edit",
      () =>
        session("approver", ["p1", "hostile-edit"]).respondPermission(
          "hostile-edit",
          pending.permissionId,
          "once",
          { updatedInput: JSON.parse(json) },
        ),
      "invalid_input",
    );
  });

  test.each(RESERVED)("a local decision whose input is %s is invalid_input", async (json) => {
    await expectRefusedUnchanged(
      "hostile",
      () =>
        session("agent", ["p1", "hostile"]).recordLocalDecisions([
          localEntry(`lp-${Math.random()}`, { input: JSON.parse(json) }),
        ]),
      "invalid_input",
    );
  });

  test.each(RAW_RESERVED)(
    "a local decision sent as JSON text whose input is %s is invalid_input",
    async (json) => {
      // The SDK's form: the text carries even `__proto__`, which RivetKit's client drops.
      const text = `[${JSON.stringify(localEntry(`lp-${Math.random()}`, { input: {} })).replace(
        '"input":{}',
        `"input":${json}`,
      )}]`;
      await expectRefusedUnchanged(
        "hostile",
        () => session("agent", ["p1", "hostile"]).recordLocalDecisions(text),
        "invalid_input",
      );
    },
  );

  test.each([
    ["a session rule", () => session("admin", ["p1", "hostile"]).addRule(reservedRule())],
    ["a project rule", () => project("admin", ["p1"]).addProjectRules([reservedRule()])],
    [
      "a reply's options",
      () =>
        session("approver", ["p1", "hostile"]).respondPermission("hostile", "perm_none", "once", {
          message: "ok",
          constructor: { scope: "project" },
        }),
    ],
    [
      "a history query",
      () => session("admin", ["p1", "hostile"]).getHistory(JSON.parse('{"constructor":{}}')),
    ],
  ])("%s with a reserved key is invalid_input and changes nothing", async (_name, attack) => {
    await expectRefusedUnchanged("hostile", attack, "invalid_input");
  });

  test.each(RESERVED)("connection parameters %s are refused", async (json) => {
    const params = { ...JSON.parse(json), token: "admin" };
    const sessionHandle = warden.client.permissionSession.getOrCreate(["p1", "hostile"], {
      params,
    }) as unknown as Handle;
    await expect(codeOf(sessionHandle.listRules())).resolves.toBe("invalid_input");
    const projectHandle = warden.client.wardenProject.getOrCreate(["p1"], {
      params,
    }) as unknown as Handle;
    await expect(codeOf(projectHandle.listProjectRules())).resolves.toBe("invalid_input");
  });

  test.each(["__proto__", "constructor", "toString"])(
    "a request id of %s is invalid_input and changes nothing",
    async (requestId) => {
      await expectRefusedUnchanged(
        "hostile",
        () => session("agent", ["p1", "hostile"]).requestPermission(ask(requestId, "make")),
        "invalid_input",
      );
    },
  );

  const reservedRule = () => ({ tool: "Bash(make proto)", behavior: "ask", __proto_: 1 });

  test("a project rule whose behaviour hides in __proto__ is invalid_input", async () => {
    const rule = JSON.parse('{"tool":"Bash(make proto)","__proto__":{"behavior":"allow"}}');
    await expectRefusedUnchanged(
      "hostile",
      () => project("admin", ["p1"]).addProjectRules([rule]),
      "invalid_input",
    );
  });
});

describe("replies replayed and reordered", () => {
  test("a second, different reply is already_resolved and changes nothing", async () => {
    const pending = await askPending("replay", "rp-1", "make replay");
    const approver = session("approver", ["p1", "replay"]);
    await approver.respondPermission("replay", pending.permissionId, "once");
    await vi.waitFor(
      async () => {
        const inbox = (await project("admin", ["p1"]).listInbox()) as {
          requests: { permissionId: string }[];
        };
        expect(inbox.requests.map((r) => r.permissionId)).not.toContain(pending.permissionId);
      },
      { timeout: 30_000, interval: 100 },
    );
    await expectRefusedUnchanged(
      "replay",
      () =>
        session("approver2", ["p1", "replay"]).respondPermission(
          "replay",
          pending.permissionId,
          "reject",
        ),
      "already_resolved",
    );
  });

  test.each([
    ["to another session", "reorder-b", "reorder-b", "known", "not_found"],
    ["naming another session", "reorder-a", "reorder-b", "known", "wrong_session"],
    ["before its request exists", "reorder-a", "reorder-a", "perm_zz_next", "not_found"],
  ])("a reply sent %s changes nothing", async (_name, actorSession, named, permission, code) => {
    const pending = await askPending("reorder-a", `ro-${named}-${permission}`, "make reorder");
    const permissionId = permission === "known" ? pending.permissionId : permission;
    const approver = session("approver", ["p1", actorSession]);
    await expectRefusedUnchanged(
      actorSession,
      () => approver.respondPermission(named, permissionId, "once"),
      code,
    );
  });
});

describe("replies addressed by actor id, through the front", () => {
  /** A session or project actor addressed by id on the public port, as the inbox's replies go. */
  const byId = (token: TokenName, actorId: string): Handle =>
    publicClient.permissionSession.getForId(actorId, { params: { token } }) as unknown as Handle;

  test.each([
    ["another project's approver", "otherProject", "forbidden"],
    ["an approver of another session", "narrowApprover", "forbidden"],
    ["an agent", "agent", "forbidden"],
    ["no token", undefined, "unauthorized"],
  ] as const)(
    "%s replying by the session's id is refused and changes nothing",
    async (_name, token, code) => {
      const pending = await askPending("by-id", `bi-${token}`, "make by-id");
      const actorId = await warden.client.permissionSession
        .getOrCreate(["p1", "by-id"], { params: { token: "admin" } })
        .resolve();
      const handle =
        token === undefined
          ? (publicClient.permissionSession.getForId(actorId) as unknown as Handle)
          : byId(token, actorId);
      await expectRefusedUnchanged(
        "by-id",
        () => handle.respondPermission("by-id", pending.permissionId, "once"),
        code,
      );
    },
  );

  test("a reply sent to the project actor's id as a session's changes nothing", async () => {
    const pending = await askPending("by-id", "bi-project", "make by-id");
    const projectActor = await warden.client.wardenProject
      .getOrCreate(["p1"], { params: { token: "admin" } })
      .resolve();
    await expectRefusedUnchanged(
      "by-id",
      () => byId("approver", projectActor).respondPermission("by-id", pending.permissionId, "once"),
      "action_not_found",
    );
  });
});

describe("an actor addressed by id names no key", () => {
  // A caller may hold an actor's id and nothing else; the key names the project and session.
  const secret = `keyleak-${Math.random().toString(36).slice(2)}`;
  const actorId = () =>
    warden.client.permissionSession
      .getOrCreate(["p1", secret], { params: { token: "agent" } })
      .resolve();
  /** The raw answer to an action by id, in an encoding RivetKit's client speaks. */
  const raw = async (id: string, encoding: "json" | "cbor" | "bare", token?: string) => {
    const body =
      encoding === "json"
        ? JSON.stringify({ args: [] })
        : encoding === "cbor"
          ? Buffer.from([0xa1, 0x64, 0x61, 0x72, 0x67, 0x73, 0x80]) // { args: [] }
          : Buffer.from([0x04, 0x00, 0x01, 0x80]); // v4, args: CBOR []
    const response = await fetch(`${publicEndpoint}/gateway/${id}/action/listPending`, {
      method: "POST",
      headers: {
        "content-type": encoding === "json" ? "application/json" : "application/octet-stream",
        "x-rivet-encoding": encoding,
        ...(token !== undefined ? { "x-rivet-conn-params": JSON.stringify({ token }) } : {}),
      },
      body,
    });
    return { response, bytes: Buffer.from(await response.arrayBuffer()) };
  };

  test.each(["json", "cbor", "bare"] as const)(
    "%s: no header and no error body names the key, refused or answered",
    async (encoding) => {
      const id = await actorId();
      for (const token of [undefined, "not-a-token", "otherProject", "narrowAgent", "agent"]) {
        const { response, bytes } = await raw(id, encoding, token);
        const who = `${encoding} as ${token}`;
        expect(response.status, who).toBe(token === "agent" ? 200 : response.status);
        if (token !== "agent") expect(response.status, who).toBeGreaterThanOrEqual(400);
        expect(response.headers.get("x-rivet-actor-key"), who).toBeNull();
        expect(bytes.toString("latin1"), who).not.toContain(secret);
      }
    },
  );

  test("every route of an actor by id, without a token, names no key", async () => {
    const id = await actorId();
    const routes = ["", "metadata", "health", "inspector/state", "action/nope", "connect"];
    routes.push("raw/http/x", "request/x", "queue/x", "websocket/x");
    for (const route of routes) {
      for (const method of ["GET", "POST", "PUT", "DELETE"]) {
        const response = await fetch(`${publicEndpoint}/gateway/${id}/${route}`, {
          method,
          ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
        });
        const bytes = Buffer.from(await response.arrayBuffer()).toString("latin1");
        const where = `${method} /${route} (${response.status})`;
        expect(response.headers.get("x-rivet-actor-key"), where).toBeNull();
        expect(bytes, where).not.toContain(secret);
      }
    }
  });

  test.each([
    ["no token", undefined],
    ["another project's token", "otherProject"],
    ["the agent's token", "agent"],
  ] as const)("a WebSocket by id with %s: the handshake answer names no key", async (_n, token) => {
    const id = await actorId();
    const protocols = ["rivet", "rivet_encoding.json"];
    if (token !== undefined) {
      protocols.push(`rivet_conn_params.${encodeURIComponent(JSON.stringify({ token }))}`);
    }
    const answer = await rawUpgrade(`/gateway/${id}/connect`, protocols);
    const head = `${answer.status} ${JSON.stringify(answer.rawHeaders)}`;
    expect(head).toMatch(/^(101|[45]\d\d) /);
    expect(head.toLowerCase()).not.toContain("x-rivet-actor-key");
    expect(head).not.toContain(secret);
  });

  test.each(["json", "cbor", "bare"] as const)(
    "%s: the client still reads the typed refusal, without the actor's key",
    async (encoding) => {
      const id = await actorId();
      const client = createClient<WardenRegistry>({ endpoint: publicEndpoint, encoding });
      try {
        for (const [token, code] of [
          [undefined, "unauthorized"],
          ["otherProject", "forbidden"],
          ["narrowAgent", "forbidden"],
        ] as const) {
          const handle = client.permissionSession.getForId(
            id,
            token === undefined ? {} : { params: { token } },
          );
          const error = await handle.listPending().then(
            () => undefined,
            (thrown: { group?: string; code?: string; actor?: { key?: unknown } }) => thrown,
          );
          expect(error, `${encoding} as ${token}`).toMatchObject({ group: "user", code });
          expect(JSON.stringify(error?.actor ?? null)).not.toContain(secret);
        }
      } finally {
        await client.dispose();
      }
    },
  );
});

describe("a gateway path that names an engine target", () => {
  // The engine routes by `x-rivet-target` / `rivet_target.` before the path: a call admitted for
  // the session its path names could otherwise reach another actor, or the engine's routes.
  const other = () =>
    warden.client.permissionSession
      .getOrCreate(["p1", "target-other"], { params: { token: "agent" } })
      .resolve();
  const byKey = (route: string) =>
    `/gateway/permissionSession/${route}?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep&rvt-key=p1,narrow`;

  test.each([
    ["an actor by key, targeting another actor", "by-key", { "x-rivet-target": "actor" }],
    ["an actor by id, targeting the engine's API", "by-id", { "x-rivet-target": "api-public" }],
    ["an actor by id, targeting the runner", "by-id", { "X-Rivet-Target": "runner" }],
  ] as const)("HTTP, %s: refused as the engine's route", async (_name, path, target) => {
    const id = await other();
    const before = await engineKeys("permissionSession");
    const response = await fetch(
      `${publicEndpoint}${path === "by-key" ? byKey("action/listPending") : `/gateway/${id}/action/listPending`}`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-rivet-encoding": "json",
          "x-rivet-conn-params": JSON.stringify({ token: "narrowAgent" }),
          "x-rivet-actor": id,
          ...target,
        },
        body: JSON.stringify({ args: [] }),
      },
    );
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ group: "api", code: "forbidden" });
    expect(await engineKeys("permissionSession")).toEqual(before);
  });

  test("WebSocket, an actor by key with a rivet_target protocol: refused before any handshake", async () => {
    const id = await other();
    const protocols = [
      "rivet",
      "rivet_encoding.json",
      `rivet_conn_params.${encodeURIComponent(JSON.stringify({ token: "narrowAgent" }))}`,
      "rivet_target.actor",
      `rivet_actor.${id}`,
    ];
    const { status } = await rawUpgrade(byKey("connect"), protocols);
    expect(status).toBe(403);
  });
});

describe("local decision reports", () => {
  test.each([
    ["an agent of another session", "narrowAgent", "forbidden"],
    ["an approver", "approver", "forbidden"],
    ["another project's token", "otherProject", "forbidden"],
  ] as const)("from %s are refused and change nothing", async (_name, token, code) => {
    await expectRefusedUnchanged(
      "local",
      () => session(token, ["p1", "local"]).recordLocalDecisions([localEntry("lo-1")]),
      code,
    );
  });

  test.each([
    ["a batch over 500 entries", Array.from({ length: 501 }, (_, i) => localEntry(`lo-big-${i}`))],
    ["an empty batch", []],
    ["an entry with a decision of ask", [localEntry("lo-ask", { decision: "ask" })]],
    ["an entry with a waitMs", [localEntry("lo-wait", { waitMs: 0 })]],
    ["an entry with a reserved id", [localEntry("__proto__")]],
    ["an oversized input", [localEntry("lo-huge", { input: { command: "x".repeat(100 * 1024) } })]],
    ["not a list", localEntry("lo-one")],
  ])("%s is invalid_input and changes nothing", async (_name, batch) => {
    await expectRefusedUnchanged(
      "local",
      () => session("agent", ["p1", "local"]).recordLocalDecisions(batch),
      "invalid_input",
    );
  });

  test("a replayed batch is recorded once", async () => {
    const agent = session("agent", ["p1", "local-replay"]);
    const batch = [localEntry("lr-1", { cost: 1 }), localEntry("lr-2", { cost: 2 })];
    await expect(agent.recordLocalDecisions(batch)).resolves.toMatchObject({
      recorded: 2,
      mismatches: [],
    });
    await expectRefusedUnchanged(
      "local-replay",
      () =>
        agent.recordLocalDecisions(batch).then((answer) => {
          expect(answer).toMatchObject({ recorded: 0, duplicates: ["lr-1", "lr-2"] });
          throw Object.assign(new Error("replayed"), { code: "replayed" });
        }),
      "replayed",
    );
    const admin = session("admin", ["p1", "local-replay"]);
    await expect(admin.getUsage()).resolves.toEqual({ turns: 2, costUsd: 3 });
    // Another agent's report under the same id is its own call (request ids are per requester):
    // recorded for it, told nothing of the first, and the first's record is unchanged.
    const before = await admin.getHistory();
    const other = session("agent2", ["p1", "local-replay"]);
    await expect(
      other.recordLocalDecisions([localEntry("lr-1", { cost: 1 })]),
    ).resolves.toMatchObject({ recorded: 1, duplicates: [], conflicts: [] });
    await expect(admin.getUsage()).resolves.toEqual({ turns: 3, costUsd: 4 });
    await expect(agent.recordLocalDecisions(batch)).resolves.toMatchObject({
      recorded: 0,
      duplicates: ["lr-1", "lr-2"],
    });
    const after = (await admin.getHistory()) as { entries: { requestedBy: string }[] };
    expect(after.entries.slice(1)).toEqual((before as typeof after).entries);
    expect(after.entries[0]).toMatchObject({ requestId: "lr-1", requestedBy: "agent-2" });
  });

  test.each([
    ["the rules deny", "Bash(rm *)", "deny"],
    ["the rules would ask about", null, "ask"],
  ] as const)(
    "a forged allow for a call %s is a mismatch, never an allow",
    async (_n, rule, server) => {
      const sessionId = `forged-${server}`;
      if (rule) await session("admin", ["p1", sessionId]).addRule({ tool: rule, behavior: "deny" });
      // An approver watching the session and the inbox sees no request, now or later.
      const watcher = warden.client.permissionSession
        .getOrCreate(["p1", sessionId], { params: { token: "approver" } })
        .connect();
      const seen: unknown[] = [];
      watcher.on("permissionRequest", (event) => seen.push(event));
      await watcher.listPending();
      const agent = session("agent", ["p1", sessionId]);
      const forged = localEntry("fg-1", {
        toolName: "Bash",
        input: { command: "rm -rf /" },
        cost: 50,
      });
      const answer = (await agent.recordLocalDecisions([forged])) as {
        mismatches: { requestId: string; local: string; server: unknown }[];
      };
      expect(answer.mismatches).toMatchObject([
        { requestId: "fg-1", local: "allow", ...(server === "ask" ? { server: "ask" } : {}) },
      ]);
      if (server === "deny")
        expect(answer.mismatches[0]!.server).toMatchObject({ behavior: "deny" });
      const admin = session("admin", ["p1", sessionId]);
      await expect(admin.getUsage()).resolves.toEqual({ turns: 1, costUsd: 0 });
      await expect(admin.listPending()).resolves.toEqual([]);
      // Asked again through requestPermission, the id is answered from its record: deny.
      await expect(
        agent.requestPermission({
          requestId: "fg-1",
          toolName: "Bash",
          input: { command: "rm -rf /" },
          cost: 50,
          waitMs: 0,
        }),
      ).resolves.toMatchObject({ status: "decided", decision: { behavior: "deny" } });
      const history = (await admin.getHistory()) as {
        entries: { requestId: string; resolution: object }[];
      };
      expect(history.entries.find((e) => e.requestId === "fg-1")?.resolution).toMatchObject({
        outcome: "deny",
        reason: "local_mismatch",
        local: { behavior: "allow", server },
      });
      const inbox = (await project("admin", ["p1"]).listInbox()) as { requests: unknown[] };
      expect(inbox.requests).not.toContainEqual(expect.objectContaining({ sessionId }));
      expect(seen).toEqual([]);
      await watcher.dispose();
    },
  );
});

describe("project rules", () => {
  test("an approver cannot write project rules", async () => {
    await expectRefusedUnchanged(
      "prules",
      () => project("approver", ["p1"]).addProjectRules([{ tool: "Bash", behavior: "allow" }]),
      "forbidden",
    );
  });

  test.each([
    ["a rule that does not compile", [{ tool: "Bash(", behavior: "allow" }], "invalid_rule"],
    [
      "too many rules at once",
      Array.from({ length: 21 }, (_, i) => ({ tool: `Bash(x${i})`, behavior: "allow" })),
      "invalid_input",
    ],
    ["an unknown behaviour", [{ tool: "Bash(x)", behavior: "always" }], "invalid_input"],
    [
      "a tool pattern over the size limit",
      [{ tool: `Bash(${"x".repeat(2000)})`, behavior: "allow" }],
      "invalid_input",
    ],
    ["no rules", [], "invalid_input"],
  ])("an admin's %s is refused and changes nothing", async (_name, rules, code) => {
    await expectRefusedUnchanged(
      "prules",
      () => project("admin", ["p1"]).addProjectRules(rules),
      code,
    );
  });

  test("an always reply of scope project whose rule does not cover the request is refused", async () => {
    const pending = await askPending("cover", "cv-1", "make cover");
    await expectRefusedUnchanged(
      "cover",
      () =>
        session("approver", ["p1", "cover"]).respondPermission(
          "cover",
          pending.permissionId,
          "always",
          {
            rule: "Bash(rm *)",
            scope: "project",
          },
        ),
      "invalid_rule",
    );
  });

  test("admin changes reach live sessions (rulesChanged, fast path) and the log, removal too", async () => {
    const live = session("agent", ["p1", "live"]);
    await live.requestPermission(ask("lv-1", "make live")); // loads the project's rules
    const conn = (
      live as unknown as { connect(): ReturnType<ReturnType<typeof warden.session>["connect"]> }
    ).connect();
    let changes = 0;
    conn.on("rulesChanged", () => {
      changes += 1;
    });
    await conn.listRules();
    const rules = (await project("admin", ["p1"]).addProjectRules([
      { tool: "Bash(make deploy)", behavior: "deny" },
    ])) as { id: string; tool: string }[];
    const added = rules.find((r) => r.tool === "Bash(make deploy)")!;
    await vi.waitFor(
      async () => {
        const { projectRules } = (await live.listRules()) as { projectRules: { id: string }[] };
        expect(projectRules.map((r) => r.id)).toContain(added.id);
      },
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(() => expect(changes).toBeGreaterThanOrEqual(1), { timeout: 30_000 });
    await expect(
      live.requestPermission({ ...ask("lv-2", "make deploy"), waitMs: 0 }),
    ).resolves.toMatchObject({ status: "decided", decision: { behavior: "deny" } });
    await project("admin", ["p1"]).removeProjectRule(added.id);
    await vi.waitFor(
      async () => {
        const { projectRules } = (await live.listRules()) as { projectRules: { id: string }[] };
        expect(projectRules.map((r) => r.id)).not.toContain(added.id);
      },
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(() => expect(changes).toBeGreaterThanOrEqual(2), { timeout: 30_000 });
    const log = (await project("admin", ["p1"]).getProjectRulesLog()) as {
      change: string;
      by: string;
      rule: { id: string };
    }[];
    expect(log.filter((e) => e.rule.id === added.id).map((e) => [e.change, e.by])).toEqual([
      ["removed", "root"],
      ["added", "root"],
    ]);
    await conn.dispose();
  });

  // A token limited to some sessions reaches only those: it may not set every session's rules.
  test("an approver limited to some sessions cannot reply always for the whole project", async () => {
    const pending = await askPending("narrow", "nw-1", "make narrow-wide");
    const narrow = session("narrowApprover", ["p1", "narrow"]);
    const always = (scope: string) =>
      narrow.respondPermission("narrow", pending.permissionId, "always", {
        rule: "Bash(make narrow-wide)",
        scope,
      });
    await expectRefusedUnchanged("narrow", () => always("project"), "forbidden");
    // Its own session's rules are its to set.
    await expect(codeOf(always("session"))).resolves.toBe("ok");
    const projectRules = (await project("admin", ["p1"]).listProjectRules()) as { tool: string }[];
    expect(projectRules.map((r) => r.tool)).not.toContain("Bash(make narrow-wide)");
  });

  test("an admin limited to some sessions cannot add or remove project rules, nor reconcile the inbox", async () => {
    const rules = (await project("admin", ["p1"]).addProjectRules([
      { tool: "Bash(make narrow-admin)", behavior: "deny" },
    ])) as { id: string; tool: string }[];
    const rule = rules.find((r) => r.tool === "Bash(make narrow-admin)")!;
    await expectRefusedUnchanged(
      "narrow",
      () => project("narrowAdmin", ["p1"]).removeProjectRule(rule.id),
      "forbidden",
    );
    await expectRefusedUnchanged(
      "narrow",
      () =>
        project("narrowAdmin", ["p1"]).addProjectRules([
          { tool: "Bash(make narrow-added)", behavior: "allow" },
        ]),
      "forbidden",
    );
    await expectRefusedUnchanged(
      "narrow",
      () => project("narrowAdmin", ["p1"]).reconcileInbox(),
      "forbidden",
    );
    // Within its session it is an admin still.
    await expect(codeOf(session("narrowAdmin", ["p1", "narrow"]).listRules())).resolves.toBe("ok");
    await project("admin", ["p1"]).removeProjectRule(rule.id);
  });

  test("an always reply of scope project is stored with its approver and logged", async () => {
    const pending = (await session("agent", ["p1", "learn"]).requestPermission(
      ask("ln-1", "make learn"),
    )) as { permissionId: string };
    await session("approver", ["p1", "learn"]).respondPermission(
      "learn",
      pending.permissionId,
      "always",
      {
        rule: "Bash(make learn)",
        scope: "project",
      },
    );
    // The session hands the rule on to the project after the reply is answered: wait for it.
    const learned = async () =>
      (
        (await project("admin", ["p1"]).listProjectRules()) as { tool: string; addedBy: string }[]
      ).find((r) => r.tool === "Bash(make learn)");
    await expect.poll(learned, { timeout: 30_000 }).toMatchObject({ addedBy: "alice" });
    const log = (await project("admin", ["p1"]).getProjectRulesLog()) as {
      rule: { tool: string };
    }[];
    expect(log.some((e) => e.rule.tool === "Bash(make learn)")).toBe(true);
  });
});

describe("a walk over the front's routes", () => {
  /** A by-key action path for a fresh session of `project`, spelled with the given tricks. */
  const byKey = (
    sessionId: string,
    over: { prefix?: string; name?: string; project?: string } = {},
  ) =>
    `${over.prefix ?? "/gateway"}/${over.name ?? "permissionSession"}/action/listPending?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep&rvt-key=${over.project ?? "p1"},${sessionId}`;
  const params = (token: string) => ({ "x-rivet-conn-params": JSON.stringify({ token }) });
  /** The status of a request sent with its path as written (fetch would normalise `%2e%2e`). */
  const rawStatus = (path: string, init: RequestInit) =>
    new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: "127.0.0.1",
          port: new URL(publicEndpoint).port,
          path,
          method: init.method,
          agent: false,
          headers: init.headers as Record<string, string>,
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      // A refused huge body may be cut off: the status has arrived by then.
      request.on("error", reject);
      request.end(init.body as string | undefined);
    });
  const post = (headers: Record<string, string> = {}, body = '{"args":[]}') => ({
    method: "POST",
    headers: { "content-type": "application/json", "x-rivet-encoding": "json", ...headers },
    body,
  });

  test.each<[string, (id: string) => [string, RequestInit]]>([
    ["no token", (id) => [byKey(id), post()]],
    ["a wrong token", (id) => [byKey(id), post(params("not-a-token"))]],
    ["another project's token", (id) => [byKey(id), post(params("otherProject"))]],
    ["an agent limited to another session", (id) => [byKey(id), post(params("narrowAgent"))]],
    ["an encoded actor name", (id) => [byKey(id, { name: "permission%53ession" }), post()]],
    [
      "an encoded gateway segment",
      (id) => [byKey(id, { prefix: "/%67ateway" }), post(params("agent"))],
    ],
    ["a double slash", (id) => [byKey(id, { prefix: "//gateway" }), post(params("agent"))]],
    [
      "a dot-dot segment",
      (id) => [byKey(id, { prefix: "/x/%2e%2e/gateway" }), post(params("agent"))],
    ],
    [
      "a raw dot-dot segment",
      (id) => [byKey(id, { prefix: "/x/../gateway" }), post(params("agent"))],
    ],
    [
      "a dot-dot in the actor name",
      (id) => [byKey(id, { name: "x/%2e%2e/permissionSession" }), post(params("agent"))],
    ],
    [
      "an encoded slash in the actor name",
      (id) => [byKey(id, { name: "x%2f..%2fpermissionSession" }), post(params("agent"))],
    ],
    [
      "OPTIONS from a foreign origin",
      (id) => [
        byKey(id),
        {
          method: "OPTIONS",
          headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
        },
      ],
    ],
    [
      "a capitalised parameter",
      (id) => [byKey(id).replace("rvt-key", "RVT-key"), post(params("agent"))],
    ],
    ["HEAD without a token", (id) => [byKey(id), { method: "HEAD" }]],
    ["GET without a token", (id) => [byKey(id), { method: "GET" }]],
    ["wrong content-type, no token", (id) => [byKey(id), post({ "content-type": "text/plain" })]],
    [
      "a deep body, no token",
      (id) => [byKey(id), post({}, `{"args":[${"[".repeat(5000)}${"]".repeat(5000)}]}`)],
    ],
    [
      "a huge body, no token",
      (id) => [byKey(id), post({}, `{"args":["${"x".repeat(2 * 1024 * 1024)}"]}`)],
    ],
  ])("%s: refused, and no session is created", async (_name, build) => {
    const id = `walk-${Math.random().toString(36).slice(2)}`;
    const [path, init] = build(id);
    expect(await rawStatus(path, init)).toBeGreaterThanOrEqual(400);
    expect(await engineKeys("permissionSession")).not.toContain(`p1/${id}`);
  });

  test("the same call with the agent's token is answered (the walk's requests were well formed)", async () => {
    const id = `walk-ok-${Math.random().toString(36).slice(2)}`;
    expect(await rawStatus(byKey(id), post(params("agent")))).toBe(200);
    expect(await engineKeys("permissionSession")).toContain(`p1/${id}`);
  });
});

describe("the engine's HTTP API", () => {
  const statusOnFreshSocket = (path: string, method: string, body: unknown) =>
    new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        `${publicEndpoint}${path}`,
        { method, agent: false, headers: { "Content-Type": "application/json" } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on("error", reject);
      request.end(JSON.stringify(body));
    });
  const engineSessionId = () =>
    warden.client.permissionSession
      .getOrCreate(["p1", "engine"], { params: { token: "agent" } })
      .resolve();
  const api = (path: string, init: RequestInit = {}) => fetch(`${publicEndpoint}${path}`, init);

  test.each([
    ["GET", "/actors?namespace=default&name=permissionSession"],
    ["GET", "/actors/names?namespace=default"],
    ["GET", "/namespaces"],
    ["GET", "/envoys?namespace=default"],
    ["GET", "/runner-configs?namespace=default"],
  ])("%s %s without the admin token is refused", async (method, path) => {
    const response = await api(path, { method });
    expect([401, 403]).toContain(response.status);
    expect(await response.text()).not.toContain("p1");
  });

  test("DELETE /actors/<id> without the admin token is refused and the session survives", async () => {
    const agent = session("agent", ["p1", "engine"]);
    await agent.requestPermission(ask("en-1", "make engine"));
    const actorId = await engineSessionId();
    const before = await settledSnapshot("engine");
    const response = await api(`/actors/${actorId}?namespace=default`, { method: "DELETE" });
    expect([401, 403]).toContain(response.status);
    expect(await settledSnapshot("engine")).toEqual(before);
    // The admin token is what gates it: with it, the same API answers.
    const listed = await api("/actors?namespace=default&name=permissionSession&key=p1/engine", {
      headers: { Authorization: `Bearer ${warden.slot.adminToken}` },
    });
    expect(listed.status).toBe(200);
  });

  test("an actor's inspector answers nothing without a token", async () => {
    const actorId = await engineSessionId();
    for (const path of ["state", "connections", "rpcs", "database/rows?table=audit_log"]) {
      const response = await api(`/gateway/${actorId}/inspector/${path}`);
      expect(response.status, path).toBe(401);
    }
    // On a socket of its own: the engine closes a kept-alive socket after a refused body.
    const patched = await statusOnFreshSocket(`/gateway/${actorId}/inspector/state`, "PATCH", {
      state: {},
    });
    expect(patched).toBe(401);
  });

  const sessionByKey = (sessionId: string) =>
    `/gateway/permissionSession/action/listPending?rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep&rvt-key=p1,${sessionId}`;

  test.each([
    ["the engine's API", "/actors?namespace=default"],
    ["an actor by key", sessionByKey("cors")],
    ["an actor by id", "/gateway/0000/action/listPending"],
    [
      "the project actor the inbox reads",
      "/gateway/wardenProject/action/listInbox?rvt-namespace=default&rvt-method=get&rvt-key=p1",
    ],
  ])(
    "a CORS preflight from a foreign origin to %s gets no allowance; the inbox's origin gets one",
    async (_, path) => {
      const ask = (origin: string) =>
        api(path, {
          method: "OPTIONS",
          headers: {
            Origin: origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-rivet-conn-params",
          },
        });
      const foreign = await ask("https://evil.example");
      expect(foreign.status).toBe(403);
      expect([...foreign.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual(
        [],
      );
      const inbox = await ask(INBOX_ORIGIN);
      expect(inbox.status).toBe(204);
      expect(inbox.headers.get("access-control-allow-origin")).toBe(INBOX_ORIGIN);
    },
  );

  test("the request after a foreign preflight is refused and changes nothing", async () => {
    const before = await settledSnapshot("cors");
    const action = await api(sessionByKey("cors"), {
      method: "POST",
      headers: {
        Origin: "https://evil.example",
        "content-type": "application/json",
        "x-rivet-encoding": "json",
        "x-rivet-conn-params": JSON.stringify({ token: "admin" }),
      },
      body: JSON.stringify({ args: [] }),
    });
    expect(action.status).toBe(403);
    expect(await action.json()).toMatchObject({ group: "user", code: "forbidden" });
    expect(action.headers.get("access-control-allow-origin")).toBeNull();
    const listed = await api("/actors?namespace=default&name=permissionSession", {
      headers: {
        Origin: "https://evil.example",
        Authorization: `Bearer ${warden.slot.adminToken}`,
      },
    });
    expect(listed.status).toBe(403);
    expect(await settledSnapshot("cors")).toEqual(before);
  });
});
