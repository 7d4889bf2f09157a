// Two approvers race on every ask: one reply of each pair is always too late, and before it was
// sent anyway (half of all reply traffic in `pnpm load`, docs/scale.md "Replies without a storm").
// Now a reply still waiting for a slot in the inbox's in-flight bound when the inbox hears its
// request settled is answered by the inbox, as the session answers a late reply, and not sent.
// The losing approver's replies go through a TCP relay that holds every reply request (as a busy
// engine's gateway does), so the bound fills and the rest wait; the oracle is the relay's count of
// reply requests, and the answer of a reply that did reach the session.
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { REPLY_GATE } from "../src/inbox.ts";
import {
  createWardenClient,
  type InboxRequest,
  type WardenClient,
  type WardenError,
} from "../src/index.ts";
import { type HoldingRelay, startHoldingRelay } from "./fixtures/holding-relay.ts";
import { TEST_POLICY, TEST_TOKENS } from "./fixtures/setup.ts";

const POLL = { timeout: 60_000, interval: 50 };
const REPLY = "/action/respondPermission";
/** More asks than the loser's bound lets out at once. */
const ASKS = REPLY_GATE.max + 4;
const SESSION = "reply-race";

let server: TestWarden;
let relay: HoldingRelay;
let agent: WardenClient;
/** Alice, through the relay: she loses every race. */
let loser: WardenClient;
/** Bob, straight to the server. */
let winner: WardenClient;
/** Alice again, straight to the server and with no subscription: the session answers her. */
let direct: WardenClient;

beforeAll(async () => {
  server = await startTestWarden({ tokens: TEST_TOKENS, policy: TEST_POLICY });
  relay = await startHoldingRelay(server.endpoint, (request) => request.includes(REPLY));
  const client = (endpoint: string, token: string) =>
    createWardenClient({ endpoint, project: "demo", token, fastPath: "off" });
  agent = client(server.endpoint, "agent-token");
  loser = client(relay.endpoint, "approver-token");
  winner = client(server.endpoint, "approver2-token");
  direct = client(server.endpoint, "approver-token");
});

afterAll(async () => {
  try {
    await Promise.race([
      Promise.all([agent, loser, winner, direct].map((c) => c?.dispose())),
      new Promise((resolve) => setTimeout(resolve, 10_000)),
    ]);
  } finally {
    await relay?.close();
    await server?.stop();
  }
});

test("a losing reply still waiting for its slot is answered already_resolved by the inbox and never sent", async () => {
  const session = agent.session(SESSION);
  const requests = new Map<string, InboxRequest>();
  const heard = new Set<string>();
  const inbox = loser.inbox();
  const unsubscribe = await inbox.subscribe({
    onRequest: (request) => {
      if (request.sessionId === SESSION) requests.set(request.requestId, request);
    },
    onResolved: (event) => {
      if (event.sessionId === SESSION) heard.add(event.permissionId);
    },
  });

  // Alice wins one race first: the inbox learns who she is from her own reply's resolution.
  const warm = session.requestPermission({ toolName: "Bash", input: { command: "warm up" } });
  await expect.poll(() => requests.size, POLL).toBe(1);
  const first = [...requests.values()][0]!;
  await inbox.respond(SESSION, first.permissionId, "once");
  await expect(warm).resolves.toMatchObject({ behavior: "allow" });
  requests.clear();

  const asks = Array.from({ length: ASKS }, (_, i) =>
    session.requestPermission({ toolName: "Bash", input: { command: `deploy ${i}` } }),
  );
  await expect.poll(() => requests.size, POLL).toBe(ASKS);
  const open = [...requests.values()];

  // Alice's replies: the first fill her bound and are held by the relay, the rest wait for a slot.
  relay.hold();
  const outcomes = open.map((r) =>
    inbox.respond(SESSION, r.permissionId, "once").then(
      () => undefined,
      (error: WardenError) => error,
    ),
  );
  await expect.poll(() => relay.held.length, POLL).toBeGreaterThanOrEqual(REPLY_GATE.initial);
  expect(relay.held.length).toBeLessThan(ASKS);

  // Bob answers every ask first; Alice's inbox hears each settled.
  const bob = winner.inbox();
  for (const r of open) {
    await expect(bob.respond(SESSION, r.permissionId, "once")).resolves.toMatchObject({
      resolution: { outcome: "allow", decidedBy: { kind: "approver", id: "bob" } },
    });
  }
  await expect.poll(() => open.filter((r) => heard.has(r.permissionId)).length, POLL).toBe(ASKS);
  const sent = relay.held.length;

  // Every one of Alice's replies ends as a lost race while the relay still holds hers: the
  // waiting ones at once, the held ones when their bound aborts them (their retry is not sent).
  const answers = await Promise.all(outcomes);
  expect(answers.map((a) => a?.code)).toEqual(Array(ASKS).fill("already_resolved"));
  expect(relay.held.length, "a reply was sent after its request was heard settled").toBe(sent);
  expect(sent).toBeLessThan(ASKS);

  // The inbox's answer is the session's: Alice's reply sent straight to it gets the same.
  const last = open.at(-1)!;
  const fromSession = await direct
    .inbox()
    .respond(SESSION, last.permissionId, "once")
    .then(
      () => expect.unreachable("a late reply was accepted"),
      (error: WardenError) => error,
    );
  const local = answers.at(-1)!;
  // The session's error metadata arrives with its times as bigints (RivetKit's encoding of error
  // metadata); the inbox heard the same resolution with numbers.
  const plain = (value: unknown) =>
    JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
  expect(plain({ code: local.code, message: local.message, metadata: local.metadata })).toEqual(
    plain({ code: fromSession.code, message: fromSession.message, metadata: fromSession.metadata }),
  );
  expect(local.metadata).toMatchObject({ byYou: false, resolution: { decidedBy: { id: "bob" } } });

  relay.release();
  const decisions = await Promise.all(asks);
  expect(decisions.map((d) => d.behavior)).toEqual(Array(ASKS).fill("allow"));
  unsubscribe();
}, 240_000);
