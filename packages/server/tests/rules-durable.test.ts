// A session that read its project's rules is recorded by the project durably before the session is
// answered: a project rule added after a crash still reaches it. The session's first decision is an
// ask, so the session saves its state (rules read, the ask) at once; the runner
// (tests/fixtures/runner.ts) is SIGKILLed the moment an approver hears of the ask, well inside
// RivetKit's 1 s periodic save of the project. After the restart a project deny rule is added: the
// project must push it to the session (`rulesChanged`), and the session's next call of that tool
// must be denied. With the project's record left to the periodic save, the project forgot the
// session, nothing was pushed and the call was asked, under the old rules (checked once).
import { expect, test } from "vitest";
import type { PermissionRequestEvent } from "../src/index.ts";
import { expectProjectDenyReachesSession, useKillableRunner } from "./fixtures/killable-runner.ts";
import { deliver, retry } from "./fixtures/processes.ts";

const PROJECT = "p1";
const SESSION = "s-rules-durable";
/** How long the pushed rule change may take to reach the session before the check goes ahead. */
const PUSH_BUDGET_MS = 30_000;

const crash = useKillableRunner(PROJECT, SESSION);
const session = crash.session;

test("a session that read the project's rules just before a SIGKILL is told of a rule added after the restart", async () => {
  // The approver listens before the session's first call, so that the kill follows its first
  // decision at once: the project recorded the session moments before.
  const watcher = session("approver").connect();
  await deliver(() => watcher.listPending());
  const killed = crash.runner;
  const heard = new Promise<PermissionRequestEvent>((resolve) =>
    watcher.on("permissionRequest", (event: PermissionRequestEvent) => {
      process.kill(killed.pid, "SIGKILL");
      resolve(event);
    }),
  );
  const first = session("agent")
    .requestPermission({
      requestId: "first",
      toolName: "Bash",
      input: { command: "make build" },
      waitMs: 0,
    })
    .catch(() => undefined);
  await heard;
  await crash.gone();
  await first;
  await watcher.dispose().catch(() => undefined);

  await crash.launch();
  const deadline = Date.now() + 120_000;
  // The session survived with the rules it read (its ask is still pending).
  const again = await retry(
    () =>
      session("agent").requestPermission({
        requestId: "first",
        toolName: "Bash",
        input: { command: "make build" },
        waitMs: 0,
      }),
    { deadline },
  );
  expect(again.status).toBe("pending");

  const project = crash.client.wardenProject.getOrCreate([PROJECT], { params: { token: "admin" } });
  await expectProjectDenyReachesSession(crash, {
    deadline,
    budgetMs: PUSH_BUDGET_MS,
    change: () => project.addProjectRules([{ tool: "Bash(make test)", behavior: "deny" }]),
  });
}, 300_000);
