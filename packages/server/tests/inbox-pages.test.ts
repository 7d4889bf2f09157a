// An approver limited to some sessions pages through the project's inbox (a real server and
// engine): it sees exactly its sessions' pending requests, each once and none missing, page after
// full page, and no cursor names a session it may not reach. Filtering after cutting a page would
// leave short pages and hand out other sessions' positions; both fail here.
import { policySource } from "@warden/rules";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { InboxChange } from "../src/index.ts";
import type { InboxPage } from "../src/project.ts";
import { fakeRequest, pendingChange } from "./fixtures/inbox-requests.ts";
import { type RunningWarden, startWarden, TOKENS, type TokenName } from "./warden-harness.ts";

const INTERNAL = "inbox-pages-test-internal-token-0123456789abcdef";
const PROJECT = "p1";
const TEAM: readonly string[] = TOKENS.teamApprover.sessions;
/** Sessions the team approver may not reach, named so that they sort among the team's. */
const OTHERS = Array.from(
  { length: 37 },
  (_, n) => `team-${String.fromCharCode(97 + (n % 26))}${n}`,
);
/** More than one default page (500) of the team's requests, and some of everyone else's. */
const PER_TEAM_SESSION = 200;
const PER_OTHER_SESSION = 20;
/** Requests per report, as a session's delivery batches them. */
const PER_REPORT = 50;

let warden: RunningWarden;
const base = Date.now();
type Conn = ReturnType<
  ReturnType<RunningWarden["client"]["wardenProject"]["getOrCreate"]>["connect"]
>;
/** One connection per caller. */
const conns = new Map<string, Conn>();

beforeAll(async () => {
  warden = await startWarden({
    internalToken: INTERNAL,
    policy: { defaultProject: policySource({ default_behavior: "ask", rules: [] }) },
  });
});

afterAll(async () => {
  await Promise.all([...conns.values()].map((conn) => conn.dispose()));
  await warden?.stop();
});

const project = (token: TokenName | typeof INTERNAL): Conn => {
  let conn = conns.get(token);
  if (!conn) {
    conn = warden.client.wardenProject.getOrCreate([PROJECT], { params: { token } }).connect();
    conns.set(token, conn);
  }
  return conn;
};

/**
 * A pending request; many share a creation time with other sessions' (the page order breaks ties
 * by session and permission id, so cursors must too). It expires in an hour, so no session is
 * asked for it before the test ends (the sessions do not exist: asking would empty the index).
 */
const pendingRequest = (sessionId: string, n: number) =>
  fakeRequest(PROJECT, sessionId, n, base + Math.floor(n / 3));
const pending = pendingChange;
const resolved = (sessionId: string, permissionId: string): InboxChange => ({
  kind: "resolved",
  sessionId,
  permissionId,
});
const keyOf = (r: { sessionId: string; permissionId: string }) =>
  `${r.sessionId}/${r.permissionId}`;

async function report(sessionId: string, changes: InboxChange[]) {
  await project(INTERNAL).noteInbox({ sessionId, changes, history: [] });
}

/** Reports `count` pending requests of a session, `PER_REPORT` at a time. */
async function fill(sessionId: string, count: number) {
  for (let start = 0; start < count; start += PER_REPORT) {
    const n = Array.from({ length: Math.min(PER_REPORT, count - start) }, (_, i) => start + i);
    await report(
      sessionId,
      n.map((i) => pending(pendingRequest(sessionId, i))),
    );
  }
}

/** Every page from the start, with `between` run after each page but the last. */
async function pages(
  token: TokenName,
  limit: number | undefined,
  between: (page: InboxPage) => Promise<void> = async () => undefined,
): Promise<InboxPage[]> {
  const handle = project(token);
  const seen: InboxPage[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await handle.listInbox({
      ...(after === undefined ? {} : { after }),
      ...(limit === undefined ? {} : { limit }),
    });
    seen.push(page);
    if (page.next === null) return seen;
    after = page.next;
    await between(page);
  }
}

/** The session a cursor (`<createdAt>:<sessionId>/<permissionId>`) names. */
const cursorSession = (cursor: string) => cursor.slice(cursor.indexOf(":") + 1).split("/")[0];

function expectOnlyTeam(seen: InboxPage[], limit: number) {
  for (const [index, page] of seen.entries()) {
    // Every page but the last is full: a filter applied after cutting the page leaves short ones.
    if (index < seen.length - 1) expect(page.requests).toHaveLength(limit);
    for (const request of page.requests) expect(TEAM).toContain(request.sessionId);
    if (page.next !== null) expect(TEAM).toContain(cursorSession(page.next));
    const json = JSON.stringify(page);
    for (const other of OTHERS) expect(json).not.toContain(`"${other}`);
    for (const other of OTHERS) expect(json).not.toContain(`:${other}/`);
  }
  const order = seen.flatMap((page) => page.requests);
  const times = order.map((r) => r.createdAt);
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

describe("a narrow approver paging through the inbox", () => {
  beforeAll(async () => {
    // Interleaved, as reports of many sessions arrive.
    await Promise.all([
      ...TEAM.map((id) => fill(id, PER_TEAM_SESSION)),
      ...OTHERS.map((id) => fill(id, PER_OTHER_SESSION)),
    ]);
  }, 120_000);

  const teamKeys = () =>
    TEAM.flatMap((id) =>
      Array.from({ length: PER_TEAM_SESSION }, (_, n) => `${id}/perm-${n}`),
    ).sort();

  test("with the default page (500): two pages and more, exactly the team's requests, each once", async () => {
    const seen = await pages("teamApprover", undefined);
    expect(seen.length).toBeGreaterThan(1);
    expectOnlyTeam(seen, 500);
    const keys = seen.flatMap((page) => page.requests.map(keyOf));
    expect(keys).toHaveLength(TEAM.length * PER_TEAM_SESSION);
    expect([...keys].sort()).toEqual(teamKeys());
  });

  test("with small pages among ties of creation time: exactly the team's requests, each once", async () => {
    const seen = await pages("teamApprover", 25);
    expectOnlyTeam(seen, 25);
    const keys = seen.flatMap((page) => page.requests.map(keyOf));
    expect(keys).toHaveLength(TEAM.length * PER_TEAM_SESSION);
    expect([...keys].sort()).toEqual(teamKeys());
  });

  test("an approver of every session sees everyone's, each once", async () => {
    const seen = await pages("approver", undefined);
    const keys = seen.flatMap((page) => page.requests.map(keyOf));
    expect(keys).toHaveLength(TEAM.length * PER_TEAM_SESSION + OTHERS.length * PER_OTHER_SESSION);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("requests settled and opened while it pages shift nothing: every request pending throughout is seen once", async () => {
    const settled = new Set<string>();
    let opened = 0;
    const seen = await pages("teamApprover", 50, async (page) => {
      // Settle one request it has seen, one it has not yet, and one of another session; open one
      // request in a team session and one elsewhere.
      const last = page.requests.at(-1)!;
      const unseen = `perm-${PER_TEAM_SESSION - 1 - opened}`;
      const owner = TEAM[opened % TEAM.length]!;
      settled.add(`${owner}/${unseen}`);
      settled.add(keyOf(last));
      await report(last.sessionId, [resolved(last.sessionId, last.permissionId)]);
      await report(owner, [resolved(owner, unseen)]);
      await report(OTHERS[opened]!, [resolved(OTHERS[opened]!, "perm-0")]);
      const fresh = pendingRequest(owner, 10_000 + opened);
      await report(owner, [pending({ ...fresh, createdAt: Date.now() })]);
      await report(OTHERS[opened]!, [pending(pendingRequest(OTHERS[opened]!, 10_000 + opened))]);
      opened += 1;
    });
    const keys = seen.flatMap((page) => page.requests.map(keyOf));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(TEAM).toContain(key.split("/")[0]);
    for (const key of teamKeys()) {
      if (!settled.has(key)) expect(keys).toContain(key);
    }
  });
});
