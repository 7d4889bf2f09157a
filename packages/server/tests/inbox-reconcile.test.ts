// The project's reconciliation asks only the sessions that need it (a real server and engine): with
// sessions holding asks and reporting, none is called; an entry past its deadline gets its session
// asked once, which removes what the session no longer holds and keeps what it does. Calls into
// sessions are counted on the wire: the in-process runner reaches actors through `fetch`.
import { policySource } from "@warden/rules";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import type { InboxPage } from "../src/project.ts";
import { fakeRequest, pendingChange } from "./fixtures/inbox-requests.ts";
import { type RunningWarden, startWarden, type TokenName } from "./warden-harness.ts";

const INTERNAL = "inbox-reconcile-test-internal-token-0123456789abcdef";
const PROJECT = "p1";
const LIVE = Array.from({ length: 6 }, (_, n) => `live-${n}`);
const POLL = { timeout: 90_000, interval: 200 };

let warden: RunningWarden;
const realFetch = globalThis.fetch;
/** Sessions the project asked for their pending requests, one entry per call. */
const asked: string[] = [];

beforeAll(async () => {
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.includes("/action/listPending")) asked.push(url);
    return realFetch(input, init);
  };
  warden = await startWarden({
    internalToken: INTERNAL,
    policy: {
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 3_600 },
        rules: [],
      }),
    },
  });
}, 120_000);

afterAll(async () => {
  await warden?.stop();
  globalThis.fetch = realFetch;
});

const project = (token: TokenName | typeof INTERNAL) =>
  warden.client.wardenProject.getOrCreate([PROJECT], { params: { token } });

const listed = async () =>
  ((await project("admin").listInbox()) as InboxPage).requests
    .map((r) => `${r.sessionId}/${r.permissionId}`)
    .sort();

test("only sessions with an entry past its deadline are asked, once, and live entries stay", async () => {
  const live = await Promise.all(
    LIVE.map(async (sessionId) => {
      const outcome = (await warden.session("agent", sessionId).requestPermission({
        requestId: `r-${sessionId}`,
        toolName: "Bash",
        input: { command: `make deploy-${sessionId}` },
        waitMs: 0,
      })) as { permissionId: string };
      return `${sessionId}/${outcome.permissionId}`;
    }),
  );
  await vi.waitFor(async () => expect(await listed()).toEqual([...live].sort()), POLL);

  // Every session holds an ask and reported it: a reconciliation asks none of them.
  const first = await project("admin").reconcileInbox();
  expect(asked).toEqual([]);
  expect(first).toEqual({ pending: LIVE.length, checked: 0 });

  // Stale entries past their deadline: of two sessions that never existed, and one of a live
  // session that does not hold it.
  const past = Date.now() - 2 * 3_600_000;
  const stale = ["ghost-a", "ghost-b", "live-0"].map((sessionId) =>
    fakeRequest(PROJECT, sessionId, 900, past),
  );
  for (const request of stale)
    await project(INTERNAL).noteInbox({
      sessionId: request.sessionId,
      changes: [pendingChange(request)],
      history: [],
    });
  expect(await listed()).toHaveLength(LIVE.length + stale.length);
  // Scheduled a second later; an admin may run it at once too. Either way each is asked once.
  await project("admin").reconcileInbox();
  await vi.waitFor(async () => expect(await listed()).toEqual([...live].sort()), POLL);
  expect(asked).toHaveLength(stale.length);
  for (const sessionId of ["ghost-a", "ghost-b", "live-0"])
    expect(asked.filter((url) => url.includes(sessionId))).toHaveLength(1);

  // Nothing is due any more: no further calls.
  expect(await project("admin").reconcileInbox()).toEqual({ pending: LIVE.length, checked: 0 });
  expect(asked).toHaveLength(stale.length);
}, 240_000);
