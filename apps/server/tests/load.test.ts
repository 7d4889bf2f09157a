// The reduced fleet load of `pnpm load` (issue 12): a real server with its engine, agents through
// @warden/client, two approvers racing on the inbox; every request resolved exactly once, and the
// audit log agrees with what each agent was told.
import { afterAll, beforeAll, expect, test } from "vitest";
import { type LoadTarget, startEmbeddedServer } from "../../../scripts/load/embedded-server.ts";
import { runLoad } from "../../../scripts/load/run-load.ts";

// 20, not the 200 of the example: on this 2-core box each connected session costs the engine
// ~4 ms CPU per second while idle, and at 50 sessions with other work on the box rivetkit's actors
// restarted and failed calls (docs/scale.md). `pnpm load --sessions 200` runs the larger fleet.
const SESSIONS = 20;
const REQUESTS = 20;

let server: LoadTarget;
beforeAll(async () => {
  server = await startEmbeddedServer({ approvers: 2 });
}, 180_000);
afterAll(async () => {
  await server?.stop();
}, 60_000);

test(`${SESSIONS} sessions × ${REQUESTS} requests, 10 % asks, two racing approvers: exactly once, none lost, audit log complete`, async () => {
  const result = await runLoad(server, {
    sessions: SESSIONS,
    requestsPerSession: REQUESTS,
    askFraction: 0.1,
    approvers: 2,
    fastPath: "off",
    createConcurrency: 10,
    idleSampleS: 0,
  });
  expect(result.errors).toEqual({});
  expect(result.decisions_actor).toBe(SESSIONS * (REQUESTS - 2));
  expect(result.sessions_created).toBe(SESSIONS);
  // Calls 9 and 19 of each session ask (call 0 creates the session).
  expect(result.asks).toBe(SESSIONS * 2);
  expect(result.approver_races_lost).toBeLessThanOrEqual(SESSIONS * 2);
  expect(result.audit).toEqual({
    answered: SESSIONS * REQUESTS,
    audited: SESSIONS * REQUESTS,
    lost: 0,
    doubled: 0,
    mismatched: 0,
    approvals_doubled: 0,
    pending_left: 0,
    audited_without_answer: 0,
    unreadable_sessions: 0,
    ok: true,
  });
}, 600_000);
