import { policySource } from "@warden/rules";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningWarden, startWarden } from "./warden-harness.ts";

// A session's calls to its project (its rules read at its first decision, its history report
// ~3 s after its last) go over the runner's one open connection to the project, not as stateless
// requests through the engine's gateway, each of which costs the engine an actor lookup and
// request metrics in its storage (src/project-connection.ts; docs/scale.md, "Cutting Warden's
// share of a creation"). Counted with the engine's own counter of gateway requests.

const POLL = { timeout: 60_000, interval: 100 };
const NEW_SESSIONS = 4;

let warden: RunningWarden;

beforeAll(async () => {
  warden = await startWarden({
    policy: {
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 30 },
        rules: [{ tool: "Read", behavior: "allow" }],
      }),
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

/** The engine's storage transactions recording gateway requests so far (a few per request). */
async function gatewayRequests(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${warden.slot.port + 10}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n"))
    if (/^rivet_udb_transaction_total\{.*name="gateway_record_req_metrics"/.test(line))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  return total;
}

const ALLOWED = { status: "decided", decision: { behavior: "allow" } };
const read = (requestId: string) => ({ requestId, toolName: "Read", input: { file_path: "a" } });

test("new sessions read their project's rules and report to it without a gateway request each", async () => {
  // An approver hears each session's history report (it is open before anything is counted).
  const approver = warden.client.wardenProject
    .getOrCreate(["p1"], { params: { token: "approver" } })
    .connect();
  const reported = new Set<string>();
  approver.on("historyAppended", (event: { sessionId: string }) => reported.add(event.sessionId));
  await approver.getHistory({ limit: 1 });

  // A first session opens the runner's way to the project; its report comes once it is quiet.
  const first = warden.session("agent", "conn-first");
  expect(await first.requestPermission(read("first"))).toMatchObject(ALLOWED);
  await expect.poll(() => reported.has("conn-first"), POLL).toBe(true);

  // What one stateless call to a session costs in that counter (none of these calls the project).
  const calibrationStart = await gatewayRequests();
  for (let i = 0; i < NEW_SESSIONS; i++) await first.getUsage();
  const perRequest = ((await gatewayRequests()) - calibrationStart) / NEW_SESSIONS;
  expect(perRequest).toBeGreaterThan(0);

  // New sessions: each is one stateless call from its agent; over HTTP, the rules read and the
  // history report were two more gateway requests per session.
  const start = await gatewayRequests();
  for (let i = 0; i < NEW_SESSIONS; i++) {
    const session = warden.session("agent", `conn-${i}`);
    expect(await session.requestPermission(read(`new-${i}`))).toMatchObject(ALLOWED);
  }
  await expect
    .poll(() => Array.from({ length: NEW_SESSIONS }, (_, i) => reported.has(`conn-${i}`)), POLL)
    .toEqual(Array(NEW_SESSIONS).fill(true));
  const spent = (await gatewayRequests()) - start;
  expect(spent).toBeLessThan(NEW_SESSIONS * 2 * perRequest);
  await approver.dispose();
});
