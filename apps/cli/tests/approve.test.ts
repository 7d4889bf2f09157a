import { fileURLToPath } from "node:url";
import { type AgentDecision, createWardenClient, type WardenClient } from "@warden/client";
import type { TestWarden } from "@warden/server/testing";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type Approver, KEY, startApprover, startServer } from "./approver-harness.ts";

const FAKE_EDITOR = fileURLToPath(new URL("fixtures/fake-editor.mjs", import.meta.url));
const BACKSPACE = "\x7f";

let server: TestWarden;
let agent: WardenClient;
let bob: WardenClient;
const approvers: Approver[] = [];

beforeAll(async () => {
  server = await startServer();
  agent = createWardenClient({ endpoint: server.endpoint, token: "agent-token", project: "demo" });
  bob = createWardenClient({ endpoint: server.endpoint, token: "bob-token", project: "demo" });
  // Every session actor the tests use is created up front, before approvers connect: with
  // several WebSockets open, rivetkit 2.3.19 here routes a new actor only after 15 s or more
  // (measured; issue 4's "stalls after several sessions"). gamma makes no decision yet, so it
  // reads the project's learned rules only when it first asks.
  for (const sessionId of ["alpha", "beta", "gamma"]) await bob.session(sessionId).listPending();
  for (const sessionId of ["alpha", "beta"]) {
    await agent
      .session(sessionId)
      .requestPermission({ toolName: "Read", input: { file_path: "x" } });
  }
}, 120_000);

afterEach(async () => {
  for (const approver of approvers.splice(0)) approver.kill();
  // A failed test's request left pending would be the next test's selected one: answer it.
  for (const sessionId of ["alpha", "beta", "gamma"]) {
    const session = bob.session(sessionId);
    for (const left of await session.listPending())
      await session.respond(left.permissionId, "reject").catch(() => undefined);
  }
});

afterAll(async () => {
  await Promise.all([agent?.dispose(), bob?.dispose()]);
  await server?.stop();
}, 60_000);

async function approve(
  token = "alice-token",
  extra: Parameters<typeof startApprover>[2] = {},
): Promise<Approver> {
  const approver = startApprover(server.endpoint, token, extra);
  approvers.push(approver);
  await approver.waitFor("● connected");
  return approver;
}

/** The agent asks; the returned promise settles with its decision. */
function ask(sessionId: string, command: string, requestId?: string): Promise<AgentDecision> {
  return agent.session(sessionId).requestPermission({
    toolName: "Bash",
    input: { command },
    action: `Run command: ${command}`,
    ...(requestId ? { requestId } : {}),
  });
}

/** Waits until the request is on screen, selected, and its keys are live. */
async function selected(approver: Approver, text: string): Promise<void> {
  await approver.waitFor(
    (screen) => (approver.selectedLine() ?? "").includes(text) && screen.includes("keys: o once"),
  );
}

/** The permission id of the pending request for a command. */
async function pendingId(sessionId: string, command: string): Promise<string> {
  const pending = await bob.session(sessionId).listPending();
  const request = pending.find((candidate) => candidate.input.command === command);
  if (!request) throw new Error(`no pending request for ${command} in ${sessionId}`);
  return request.permissionId;
}

describe("warden approve, against a real server in a pseudo-terminal", { timeout: 120_000 }, () => {
  test("a pending request appears with its countdown; 'o' allows it once", async () => {
    const approver = await approve();
    const decision = ask("alpha", "npm test");
    await selected(approver, "alpha · Bash · Run command: npm test");
    const screen = approver.screen();
    expect(screen).toMatch(/times out in \d:\d\d/);
    expect(screen).toContain('"command": "npm test"');
    await approver.press("o");
    await expect(decision).resolves.toMatchObject({
      behavior: "allow",
      reason: "approved",
      input: { command: "npm test" },
    });
    await approver.waitFor("alpha Bash: Allowed once by you.");
    expect(await approver.quit()).toBe(0);
  });

  test("'r' rejects with the message typed", async () => {
    const approver = await approve();
    const decision = ask("alpha", "git push --force");
    await selected(approver, "Run command: git push --force");
    await approver.press("r");
    await approver.waitFor("Reject with message:");
    await approver.press("not on a Friday", KEY.enter);
    await approver.waitFor('alpha Bash: Rejected by you — "not on a Friday".');
    await expect(decision).resolves.toEqual({
      behavior: "deny",
      reason: "rejected",
      message: "not on a Friday",
    });
  });

  describe("keys that arrive in one read all count, in order, and Enter submits them", () => {
    test("a reject message typed over a typo, then Enter", async () => {
      const approver = await approve();
      const decision = ask("alpha", "git reset --hard");
      await selected(approver, "Run command: git reset --hard");
      await approver.press("r");
      await approver.waitFor("Reject with message:");
      approver.write(`typo!!${BACKSPACE.repeat(40)}use git stash\r`);
      await approver.waitFor('alpha Bash: Rejected by you — "use git stash".');
      await expect(decision).resolves.toEqual({
        behavior: "deny",
        reason: "rejected",
        message: "use git stash",
      });
    });

    test("an always rule erased with 60 backspaces and retyped, then Enter", async () => {
      const approver = await approve();
      const decision = ask("beta", "cargo build --release");
      await selected(approver, "Run command: cargo build --release");
      await approver.press("a");
      await approver.waitFor("Always allow — scope: session");
      await approver.press("e");
      await approver.waitFor("enter allow always · esc back");
      approver.write(`${BACKSPACE.repeat(60)}Bash(cargo *)\r`);
      await approver.waitFor("Always allowed by you — rule Bash(cargo *) (session).");
      await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
      await expect(ask("beta", "cargo test")).resolves.toMatchObject({
        behavior: "allow",
        reason: "rule",
      });
    });

    test("an inline input edit erased, retyped with a cursor move, then Enter", async () => {
      const approver = await approve();
      const decision = ask("alpha", "du");
      await selected(approver, "Run command: du");
      await approver.press("i");
      await approver.waitFor("Input (JSON):");
      // ←← puts the cursor before `"}`, where ` -sh` goes.
      approver.write(`${BACKSPACE.repeat(200)}{"command":"du"}\x1b[D\x1b[D -sh\r`);
      await approver.waitFor("Allow once with the edited input:");
      await approver.press(KEY.enter);
      await expect(decision).resolves.toMatchObject({
        behavior: "allow",
        input: { command: "du -sh" },
      });
    });
  });

  test("'a' allows always with the suggested rule; the session's next identical call is allowed by it", async () => {
    const approver = await approve();
    const decision = ask("alpha", "npm run lint");
    await selected(approver, "Run command: npm run lint");
    await approver.press("a");
    const panel = await approver.waitFor("Always allow — scope: session");
    expect(panel).toMatch(/› 1\. Bash\(npm run lint\) \[narrow\]/);
    await approver.press(KEY.enter);
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    await approver.waitFor(
      "alpha Bash: Always allowed by you — rule Bash(npm run lint) (session).",
    );
    await expect(ask("alpha", "npm run lint")).resolves.toMatchObject({
      behavior: "allow",
      reason: "rule",
    });
  });

  test("'a' with an edited rule and project scope: a new session of the project is allowed by it", async () => {
    const approver = await approve();
    const decision = ask("beta", "make build");
    await selected(approver, "Run command: make build");
    await approver.press("a");
    await approver.waitFor("Always allow — scope: session");
    await approver.press("s");
    await approver.waitFor("Always allow — scope: project");
    await approver.press("e");
    await approver.waitFor("enter allow always · esc back");
    await approver.press(BACKSPACE.repeat(40), "Bash(make *)", KEY.enter);
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    await approver.waitFor("rule Bash(make *) (project)");
    // beta hands the rule on to the project in the background; once the project has it, it tells
    // beta back. gamma reads the project's rules when it first asks: only then may it ask (else
    // it reads them without the rule, and its ask waits for a human nobody is).
    await expect
      .poll(async () => (await bob.session("beta").listRules()).projectRules.map((r) => r.tool), {
        timeout: 60_000,
        interval: 200,
      })
      .toContain("Bash(make *)");
    await expect(ask("gamma", "make test")).resolves.toMatchObject({
      behavior: "allow",
      reason: "rule",
    });
  });

  test("'e' opens $EDITOR, shows the change, and allows the edited input", async () => {
    const approver = await approve("alice-token", {
      args: ["--editor", `node ${FAKE_EDITOR}`],
      env: { FAKE_EDITOR_SET: JSON.stringify({ command: "npm ci --ignore-scripts" }) },
    });
    const decision = ask("alpha", "npm ci");
    await selected(approver, "Run command: npm ci");
    await approver.press("e");
    const review = await approver.waitFor("Allow once with the edited input:");
    expect(review).toContain('-   "command": "npm ci"');
    expect(review).toContain('+   "command": "npm ci --ignore-scripts"');
    await approver.press(KEY.enter);
    await expect(decision).resolves.toMatchObject({
      behavior: "allow",
      input: { command: "npm ci --ignore-scripts" },
    });
  });

  test("'i' edits the input inline; invalid JSON is refused and nothing is sent", async () => {
    const approver = await approve();
    const decision = ask("beta", "ls");
    await selected(approver, "Run command: ls");
    await approver.press("i");
    await approver.waitFor("Input (JSON):");
    await approver.press(BACKSPACE.repeat(40), "{oops", KEY.enter);
    await approver.waitFor("Edit: not valid JSON");
    await expect(pendingId("beta", "ls")).resolves.toBeTruthy();
    await approver.press(BACKSPACE.repeat(40), '{"command":"ls -la"}', KEY.enter);
    await approver.waitFor("Allow once with the edited input:");
    await approver.press(KEY.enter);
    await expect(decision).resolves.toMatchObject({
      behavior: "allow",
      input: { command: "ls -la" },
    });
  });

  test("a request answered elsewhere disappears with a note of who answered", async () => {
    const approver = await approve();
    const first = ask("beta", "echo first");
    await selected(approver, "Run command: echo first");
    const second = ask("alpha", "echo second");
    await approver.waitFor("alpha · Bash · Run command: echo second");
    await bob.session("alpha").respond(await pendingId("alpha", "echo second"), "reject", {
      message: "no",
    });
    await expect(second).resolves.toMatchObject({ behavior: "deny", message: "no" });
    const screen = await approver.waitFor(
      'alpha Bash: Rejected by bob (answered elsewhere) — "no".',
    );
    expect(screen).not.toContain("Run command: echo second ·");
    // The selected request answered elsewhere stays on screen, marked, and no key answers it again.
    const firstId = await pendingId("beta", "echo first");
    await bob.session("beta").respond(firstId, "once");
    await approver.waitFor("Answered elsewhere: Allowed once by bob. Press ↑/↓ to move on.");
    await approver.press("o");
    await approver.waitFor("Already answered: Allowed once by bob.");
    await expect(first).resolves.toMatchObject({ behavior: "allow" });
    const history = await bob.session("beta").getHistory();
    expect(history.entries.filter((entry) => entry.permissionId === firstId)).toHaveLength(1);
    await approver.press(KEY.down);
    await approver.waitFor("No pending requests.");
  });

  test("two approvers racing: exactly one decision, and a clear message on the loser", async () => {
    const [alice, bobTerm] = await Promise.all([approve("alice-token"), approve("bob-token")]);
    const decision = ask("beta", "npm publish", "race-1");
    await Promise.all([
      selected(alice, "Run command: npm publish"),
      selected(bobTerm, "Run command: npm publish"),
    ]);
    await Promise.all([alice.press("o"), bobTerm.press("o")]);
    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    const history = await bob.session("beta").getHistory();
    const entries = history.entries.filter((entry) => entry.requestId === "race-1");
    expect(entries).toHaveLength(1);
    const winnerName = entries[0]?.resolution?.decidedBy.id;
    expect(["alice", "bob"]).toContain(winnerName);
    const [winner, loser] = winnerName === "alice" ? [alice, bobTerm] : [bobTerm, alice];
    await winner.waitFor("beta Bash: Allowed once by you.");
    // The loser's key either reached the server second or found the request already answered.
    const loserScreen = await loser.waitFor(
      new RegExp(
        `Not sent: beta Bash was already answered — Allowed once by ${winnerName}|Already answered: Allowed once by ${winnerName}`,
      ),
    );
    expect(loserScreen).not.toContain("beta Bash: Allowed once by you.");
  });

  test("the selection never moves to another request when the list changes", async () => {
    const approver = await approve();
    const asks: Promise<AgentDecision>[] = [];
    for (const [sessionId, command] of [
      ["alpha", "echo a"],
      ["beta", "echo b"],
      ["alpha", "echo c"],
    ] as const) {
      asks.push(ask(sessionId, command));
      await approver.waitFor(`Run command: ${command}`);
    }
    await selected(approver, "Run command: echo a");
    await approver.press(KEY.down);
    await selected(approver, "Run command: echo b");
    // The request above the selection leaves and a new one arrives: the selection stays on b.
    await bob.session("alpha").respond(await pendingId("alpha", "echo a"), "reject");
    const late = ask("alpha", "echo d");
    await approver.waitFor("Run command: echo d");
    await approver.waitFor((screen) => !screen.includes("Run command: echo a ·"));
    expect(approver.selectedLine()).toContain("Run command: echo b");
    await approver.press("o");
    await expect(asks[1]).resolves.toMatchObject({ behavior: "allow" });
    await expect(asks[0]).resolves.toMatchObject({ behavior: "deny" });
    const left = await bob.session("alpha").listPending();
    expect(left.map((request) => request.input.command)).toEqual(["echo c", "echo d"]);
    // After one's own answer the neighbour is selected, and keys act once it has been shown.
    await selected(approver, "Run command: echo c");
    await approver.press("r", KEY.enter);
    await expect(asks[2]).resolves.toMatchObject({ behavior: "deny", reason: "rejected" });
    await selected(approver, "Run command: echo d");
    await approver.press("o");
    await expect(late).resolves.toMatchObject({ behavior: "allow" });
  });
});
