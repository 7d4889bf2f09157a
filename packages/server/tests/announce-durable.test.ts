// An ask is durable in its session before anyone hears of it. An approver subscribed to the
// session SIGKILLs the runner (tests/fixtures/runner.ts) the moment the ask is announced, before
// the agent was answered; a new runner on the same engine must still hold the ask pending under
// the id the approver saw, list it in the project's inbox, and time it out when due. The ask is
// its session's first of the wake: its expiry alarm is written after the announcement (see
// session-effects.ts `applyEffects`), so the kill may land before it is, and the expiry must then
// come from the recovered state (the wake arms an alarm for every pending request, `sweep`).
// Leaving the open's state save to RivetKit's interval makes this test fail (checked once).
import { expect, test } from "vitest";
import type { PermissionRequestEvent } from "../src/index.ts";
import { useKillableRunner } from "./fixtures/killable-runner.ts";
import { deliver, retry } from "./fixtures/processes.ts";

const PROJECT = "p1";
const SESSION = "s-announce";
/** Long enough for the recovery to find the ask pending on most boxes, short enough to see it expire. */
const TIMEOUT_S = 20;

const crash = useKillableRunner(PROJECT, SESSION, {
  WARDEN_ASK_TIMEOUT_SECONDS: String(TIMEOUT_S),
});
const session = crash.session;

test("an ask announced just before a SIGKILL is pending after the restart, in the inbox, and times out when due", async () => {
  // The session is awake (its first call is rule-settled) and has armed no alarm in this wake.
  await expect(
    deliver(() =>
      session("agent").requestPermission({ requestId: "warm", toolName: "Read", input: {} }),
    ),
  ).resolves.toMatchObject({ status: "decided" });
  const watcher = session("approver").connect();
  await watcher.listPending();
  const killed = crash.runner;
  const heard = new Promise<PermissionRequestEvent>((resolve) =>
    watcher.on("permissionRequest", (event: PermissionRequestEvent) => {
      // Nothing between hearing of the ask and the kill: what the approver saw must survive.
      process.kill(killed.pid, "SIGKILL");
      resolve(event);
    }),
  );
  const call = { requestId: "announced", toolName: "Bash", input: { command: "make deploy" } };
  const first = session("agent")
    .requestPermission({ ...call, waitMs: 0 })
    .then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
  const { request } = await heard;
  await crash.gone();
  await watcher.dispose().catch(() => undefined);
  // Whatever the agent heard (most likely an error), the ask is the one the approver saw.
  const acked = await first;
  if ("outcome" in acked) expect(acked.outcome.permissionId).toBe(request.permissionId);

  await crash.launch();
  const deadline = Date.now() + 120_000;
  const again = await retry(() => session("agent").requestPermission({ ...call, waitMs: 0 }), {
    deadline,
  });
  expect(again.permissionId, "the announced ask was lost: a retry opened a new one").toBe(
    request.permissionId,
  );
  if (again.status === "pending") {
    expect(again.expiresAt).toBe(request.expiresAt);
    // The inbox lists it (the report may have died with the runner: the wake sends the list).
    const inbox = crash.client.wardenProject.getOrCreate([PROJECT], {
      params: { token: "approver" },
    });
    for (;;) {
      const page = await retry(() => inbox.listInbox(), { deadline });
      if (page.requests.some((r) => r.permissionId === request.permissionId)) break;
      if (Date.now() > deadline) expect.unreachable("the inbox never listed the announced ask");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  // Its timeout fires when due: the agent's long wait ends with it, and not before it is due.
  const outcome = await retry(
    () => session("agent").waitForDecision(call.requestId, TIMEOUT_S * 1000 + 30_000),
    { deadline: deadline + TIMEOUT_S * 1000 },
  );
  expect(outcome).toMatchObject({
    status: "decided",
    permissionId: request.permissionId,
    decision: { behavior: "deny", reason: "timed_out" },
  });
  const settled = await retry(() => session("approver").getRequest(request.permissionId), {
    deadline: deadline + TIMEOUT_S * 1000,
  });
  expect(settled.resolution?.decidedBy.kind).toBe("timeout");
  expect(settled.resolution!.resolvedAt).toBeGreaterThanOrEqual(request.expiresAt);
}, 300_000);
