// A project rule change whose push to a session a crash cuts short still reaches that session: the
// project keeps the sessions not yet told in an outbox saved with the change (project-pushes.ts)
// and sends it again after the restart (its alarm). The session first reads the rules (its first
// decision, an ask); a project deny rule is then added and the runner (tests/fixtures/runner.ts,
// which holds both actors) is SIGKILLed the moment the admin hears the change was saved, while the
// push is on its way. After the restart the session must be told (`rulesChanged`) and its next
// call of that tool denied. With the push held only in memory (and dropped after its retries), the
// session kept its old rules and the call was asked (checked once against that code).
import { expect, test } from "vitest";
import { expectProjectDenyReachesSession, useKillableRunner } from "./fixtures/killable-runner.ts";
import { deliver } from "./fixtures/processes.ts";

const PROJECT = "p1";
const SESSION = "s-rules-push";
/** How long the pushed change may take to reach the session after the restart. */
const PUSH_BUDGET_MS = 45_000;

const crash = useKillableRunner(PROJECT, SESSION);
const session = crash.session;

test("a rule change whose push a SIGKILL cut short reaches the session after the restart", async () => {
  const deadline = Date.now() + 150_000;
  // The session reads the project's rules (its first decision, under the old rules: an ask).
  const first = await deliver(() =>
    session("agent").requestPermission({
      requestId: "first",
      toolName: "Bash",
      input: { command: "make build" },
      waitMs: 0,
    }),
  );
  expect(first.status).toBe("pending");

  // The change is saved when its answer arrives; the push to the session is still on its way.
  const killed = crash.runner;
  const project = crash.client.wardenProject.getOrCreate([PROJECT], { params: { token: "admin" } });
  await deliver(() => project.addProjectRules([{ tool: "Bash(make test)", behavior: "deny" }]));
  process.kill(killed.pid, "SIGKILL");
  await crash.gone();

  await crash.launch();
  await expectProjectDenyReachesSession(crash, { deadline, budgetMs: PUSH_BUDGET_MS });
}, 300_000);
