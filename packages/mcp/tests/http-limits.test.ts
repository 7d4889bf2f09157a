// What an HTTP gateway must not do twice or without bound: a replayed request (the same
// Mcp-Session-Id, body and JSON-RPC id) runs nothing again; a session left idle is closed
// (--idle-close-ms); connections and requests in flight are bounded (--max-connections,
// --max-requests), and a refusal creates nothing. Real gateway processes, Warden and upstream.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  ACCEPT,
  firstMessage,
  initialize,
  inSession,
  type RawAnswer,
  rawHttp,
  toolCall,
} from "./fixtures/raw-http.ts";
import { type Rig, startRig } from "./fixtures/rig.ts";
import { until } from "./fixtures/setup.ts";

let rig: Rig;
let port: number;
const { raw, openSession } = rawHttp(() => port);
const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  rig = await startRig({ inbox: "mcp" });
});

afterAll(async () => {
  await rig?.stop();
});

/** A request left open (an SSE stream, a call waiting for a human); resolves once it is sent. */
function hold(method: string, headers: Record<string, string>, body?: string) {
  let answer: RawAnswer | undefined;
  const pending = raw(method, headers, body).then((a) => {
    answer = a;
    return a;
  });
  return { pending, answered: () => answer !== undefined };
}

test("a replayed request (same session, body and id) runs nothing again and asks Warden nothing more", async () => {
  const gateway = await rig.recGateway("mcp");
  port = portOf(gateway.url);
  const session = await openSession();
  const echo = toolCall(7, "echo", '{"text":"replayed"}');
  const first = await raw("POST", inSession(session), echo);
  expect(firstMessage(first).result?.content?.[0]?.text).toBe("echo: replayed");
  for (let i = 0; i < 3; i++) {
    const again = await raw("POST", inSession(session), echo);
    expect(again.status).toBe(400);
    expect(firstMessage(again).error?.message).toContain("already used");
  }

  // A call waiting for a human, replayed while it waits and after: one question, one run, and
  // the first request still gets its answer (a replay must not take over its stream).
  const ask = toolCall(8, "write_note", '{"path":"replay.txt","content":"once"}');
  const waiting = raw("POST", inSession(session), ask);
  const request = await rig.next((r) => r.input.path === "replay.txt");
  const during = await raw("POST", inSession(session), ask);
  expect(during.status).toBe(400);
  // The same id in a batch with a new one: the whole body is refused, the new call runs not.
  const batch = `[${ask},${toolCall(9, "echo", '{"text":"riding along"}')}]`;
  expect((await raw("POST", inSession(session), batch)).status).toBe(400);
  await rig.approver!.inbox().respond(request.sessionId, request.permissionId, "once");
  expect(firstMessage(await waiting).result?.content?.[0]?.text).toBe("wrote replay.txt");
  expect((await raw("POST", inSession(session), ask)).status).toBe(400);

  expect(rig.record().filter((r) => r.args.text === "replayed")).toHaveLength(1);
  expect(rig.record().filter((r) => r.args.path === "replay.txt")).toHaveLength(1);
  expect(rig.record().some((r) => r.args.text === "riding along")).toBe(false);
  expect(rig.requests.some((r) => r.input.path === "replay.txt")).toBe(false);
  // Id 9 was refused with its batch, so it is still the client's to use.
  const fresh = await raw("POST", inSession(session), toolCall(9, "echo", '{"text":"fresh"}'));
  expect(firstMessage(fresh).result?.content?.[0]?.text).toBe("echo: fresh");
});

test("a session with no request open for --idle-close-ms is closed, and its place is free", async () => {
  const gateway = await rig.recGateway("mcp", ["--idle-close-ms", "1000", "--max-sessions", "1"]);
  port = portOf(gateway.url);
  const idle = await openSession();
  await until(() => gateway.stderr().includes("idle for 1000 ms"), 60_000, "the idle close");
  const after = await raw("POST", inSession(idle), toolCall(2, "echo", '{"text":"too late"}'));
  expect(after.status).toBe(404);
  expect(rig.record().some((r) => r.args.text === "too late")).toBe(false);
  // Its place under --max-sessions 1 is free: a new session opens and works.
  const next = await openSession();
  const call = await raw("POST", inSession(next), toolCall(2, "echo", '{"text":"next one"}'));
  expect(firstMessage(call).result?.content?.[0]?.text).toBe("echo: next one");
});

test("requests in flight are bounded (--max-requests): beyond, 503 and nothing is created", async () => {
  const gateway = await rig.recGateway("mcp", ["--max-requests", "2"]);
  port = portOf(gateway.url);
  const session = await openSession();
  // Two requests held open: the session's SSE stream and a call waiting for a human.
  const stream = hold("GET", { ...inSession(session), accept: "text/event-stream" });
  const asked = hold(
    "POST",
    inSession(session),
    toolCall(2, "write_note", '{"path":"held.txt","content":"x"}'),
  );
  const request = await rig.next((r) => r.input.path === "held.txt");

  const refused = [
    await raw("POST", inSession(session), toolCall(3, "echo", '{"text":"over the limit"}')),
    await raw(
      "POST",
      inSession(session),
      toolCall(4, "write_note", '{"path":"over.txt","content":"x"}'),
    ),
    await raw("POST", { "content-type": "application/json", accept: ACCEPT }, initialize()),
  ];
  for (const answer of refused) {
    expect(answer.status).toBe(503);
    expect(answer.headers["mcp-session-id"]).toBeUndefined();
  }
  expect(gateway.stderr()).toContain("--max-requests");

  // The held call ends: its place is free, and the refused ids are still the client's.
  await rig.approver!.inbox().respond(request.sessionId, request.permissionId, "reject");
  expect(firstMessage(await asked.pending).result?.isError).toBe(true);
  expect(stream.answered()).toBe(false);
  const later = await raw("POST", inSession(session), toolCall(3, "echo", '{"text":"later"}'));
  expect(firstMessage(later).result?.content?.[0]?.text).toBe("echo: later");
  expect(rig.record().some((r) => r.args.text === "over the limit")).toBe(false);
  expect(rig.requests.some((r) => r.input.path === "over.txt")).toBe(false);
});

test("connections are bounded (--max-connections): one beyond gets 503 and opens nothing", async () => {
  const gateway = await rig.recGateway("mcp", ["--max-connections", "2"]);
  port = portOf(gateway.url);
  // Two idle connections, accepted in order before the test's own.
  const held: Socket[] = await Promise.all(
    [0, 1].map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => resolve(socket));
          socket.once("error", reject);
        }),
    ),
  );
  const refused = await raw(
    "POST",
    { "content-type": "application/json", accept: ACCEPT },
    initialize(),
  );
  expect(refused.status).toBe(503);
  expect(refused.headers["mcp-session-id"]).toBeUndefined();
  expect(refused.headers.connection).toBe("close");
  expect(gateway.stderr()).toContain("--max-connections");
  for (const socket of held) socket.destroy();
  // Once the gateway has seen them close, a connection is served again (a path it does not
  // serve: 404 from a served connection, 503 from one still beyond the bound).
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await raw("GET", {}, undefined, "/elsewhere");
    if (answer.status === 404) break;
    expect(answer.status).toBe(503);
    if (Date.now() > deadline) throw new Error("no connection served after the others closed");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
});
