import type { CanUseTool, PermissionUpdate } from "@anthropic-ai/claude-agent-sdk";
import {
  suggestedRules,
  toWardenMode,
  wardenCanUseTool,
  wardenQueryOptions,
} from "@warden/client/claude-agent-sdk";
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from "vitest";
import { answerAs, type Harness, startHarness } from "./harness.ts";

// One agent session per file, as one agent run: the engine keeps every connected session actor
// awake, and under load it stops creating new actors after a handful are awake.
const SESSION = "claude-run";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** Calls `canUseTool` the way the SDK does: tool name, input, and the options of one tool use. */
function prompt(
  canUseTool: CanUseTool,
  toolName: string,
  input: Record<string, unknown>,
  extra: Partial<Parameters<CanUseTool>[2]> = {},
) {
  const toolUseID = extra.toolUseID ?? `toolu_${crypto.randomUUID().replaceAll("-", "")}`;
  return canUseTool(toolName, input, {
    signal: new AbortController().signal,
    requestId: `req_${toolUseID}`,
    ...extra,
    toolUseID,
  });
}

describe("Claude Agent SDK canUseTool", () => {
  test("a call the rules allow runs with its input, and no human is asked", async () => {
    const approver = await answerAs(h.approver, SESSION, () => ({ reply: "reject" }));
    const canUseTool = wardenCanUseTool(h.agent.session(SESSION));
    await expect(
      prompt(canUseTool, "Read", { file_path: "/repo/README.md" }, { toolUseID: "toolu_read1" }),
    ).resolves.toEqual({
      behavior: "allow",
      updatedInput: { file_path: "/repo/README.md" },
      toolUseID: "toolu_read1",
    });
    expect(approver.seen).toHaveLength(0);
    approver.stop();
  });

  test("a call a deny rule matches is denied with the rule's message", async () => {
    const canUseTool = wardenCanUseTool(h.agent.session(SESSION));
    await expect(
      prompt(canUseTool, "Bash", { command: "rm -rf /" }, { toolUseID: "toolu_rm" }),
    ).resolves.toEqual({
      behavior: "deny",
      message: "No deleting.",
      toolUseID: "toolu_rm",
    });
  });

  test("an ask answered once runs; the tool-use id is the request id and the SDK's title is the action", async () => {
    const approver = await answerAs(h.approver, SESSION, () => ({ reply: "once" }));
    const canUseTool = wardenCanUseTool(h.agent.session(SESSION));
    const result = await prompt(
      canUseTool,
      "Bash",
      { command: "npm test" },
      { toolUseID: "toolu_once", title: "Claude wants to run npm test" },
    );
    expect(result).toEqual({
      behavior: "allow",
      updatedInput: { command: "npm test" },
      toolUseID: "toolu_once",
    });
    expect(approver.seen).toMatchObject([
      { requestId: "toolu_once", action: "Claude wants to run npm test", toolName: "Bash" },
    ]);
    approver.stop();
  });

  test("an ask rejected with a message denies with that message, and can interrupt the turn", async () => {
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "reject",
      options: { message: "Use the staging database." },
    }));
    const session = h.agent.session(SESSION);
    await expect(
      prompt(wardenCanUseTool(session), "Bash", { command: "psql prod" }),
    ).resolves.toMatchObject({
      behavior: "deny",
      message: "Use the staging database.",
    });
    const interrupting = wardenCanUseTool(session, { interruptOnReject: true });
    await expect(prompt(interrupting, "Bash", { command: "psql prod2" })).resolves.toMatchObject({
      behavior: "deny",
      interrupt: true,
    });
    approver.stop();
  });

  test("an input edited by the approver comes back as updatedInput", async () => {
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: "npm test -- --run" } },
    }));
    const result = await prompt(wardenCanUseTool(h.agent.session(SESSION)), "Bash", {
      command: "npm test",
    });
    expect(result).toMatchObject({
      behavior: "allow",
      updatedInput: { command: "npm test -- --run" },
    });
    approver.stop();
  });

  test("an edit the tool would misread is denied, never handed to the agent", async () => {
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: ["npm", "test"], shell: "zsh" } },
    }));
    const result = await prompt(wardenCanUseTool(h.agent.session(SESSION)), "Bash", {
      command: "npm test",
    });
    expect(result).toMatchObject({
      behavior: "deny",
      message: "Warden refused the edited input: command must be a string. The call was not run.",
    });
    expect(result).not.toHaveProperty("updatedInput");
    approver.stop();
  });

  test("the SDK's suggestions become the always rule, and the next matching call needs nobody", async () => {
    const suggestions: PermissionUpdate[] = [
      {
        type: "addRules",
        behavior: "allow",
        destination: "localSettings",
        rules: [{ toolName: "Bash", ruleContent: "npm run lint:*" }],
      },
      { type: "setMode", mode: "acceptEdits", destination: "session" },
    ];
    const approver = await answerAs(h.approver, SESSION, (request) => ({
      reply: "always",
      options: { rule: suggestedRules(request) },
    }));
    const canUseTool = wardenCanUseTool(h.agent.session(SESSION));
    const first = await prompt(
      canUseTool,
      "Bash",
      { command: "npm run lint" },
      { suggestions, decisionReason: "No rule allows this command." },
    );
    expect(first).toMatchObject({ behavior: "allow" });
    expect(approver.seen).toHaveLength(1);
    expect(suggestedRules(approver.seen[0]!)).toEqual(["Bash(npm run lint *)"]);
    expect(approver.seen[0]!.details).toContain("No rule allows this command.");
    const rules = await h.approver.session(SESSION).listRules();
    expect(JSON.stringify(rules)).toContain("Bash(npm run lint *)");

    // Allowed by the new session rule: no second request reaches the approver.
    await expect(
      prompt(canUseTool, "Bash", { command: "npm run lint -- --fix" }),
    ).resolves.toMatchObject({ behavior: "allow" });
    expect(approver.seen).toHaveLength(1);
    // The rule is no broader than the suggestion: another script still asks (and is rejected here).
    approver.stop();
    const rejecter = await answerAs(h.approver, SESSION, () => ({ reply: "reject" }));
    await expect(prompt(canUseTool, "Bash", { command: "npm run deploy" })).resolves.toMatchObject({
      behavior: "deny",
    });
    rejecter.stop();
  });

  test("a prompt the SDK repeats with the same tool-use id makes one request", async () => {
    const approver = await answerAs(h.approver, SESSION, () => ({ reply: "once" }));
    const canUseTool = wardenCanUseTool(h.agent.session(SESSION));
    const both = await Promise.all([
      prompt(canUseTool, "Bash", { command: "make" }, { toolUseID: "toolu_same" }),
      prompt(canUseTool, "Bash", { command: "make" }, { toolUseID: "toolu_same" }),
    ]);
    expect(both).toMatchObject([{ behavior: "allow" }, { behavior: "allow" }]);
    expect(approver.seen).toHaveLength(1);
    approver.stop();
  });

  test("the SDK's abort signal cancels the request on the server", async () => {
    const controller = new AbortController();
    const asking = prompt(
      wardenCanUseTool(h.agent.session(SESSION)),
      "Bash",
      { command: "make" },
      { toolUseID: "toolu_abort", signal: controller.signal },
    );
    await expect
      .poll(async () => (await h.approver.session(SESSION).listPending()).length, {
        timeout: 15_000,
      })
      .toBe(1);
    controller.abort();
    await expect(asking).resolves.toMatchObject({ behavior: "deny", toolUseID: "toolu_abort" });
    await expect(h.approver.session(SESSION).listPending()).resolves.toEqual([]);
  });

  test("a call Warden refuses to decide is denied: an input over the size limit", async () => {
    const canUseTool = wardenCanUseTool(h.agent.session(SESSION));
    const result = await prompt(canUseTool, "Write", {
      file_path: "big.txt",
      content: "x".repeat(70_000),
    });
    expect(result).toMatchObject({ behavior: "deny" });
    expect(result?.behavior === "deny" ? result.message : "").toMatch(
      /^Warden could not decide: .*larger than/,
    );
  });

  test("types: the adapter is the SDK's CanUseTool, modes map by name", () => {
    expectTypeOf(wardenCanUseTool).returns.toEqualTypeOf<CanUseTool>();
    expectTypeOf(wardenQueryOptions(h.agent.session(SESSION))).toEqualTypeOf<{
      canUseTool: CanUseTool;
      permissionMode: "default";
    }>();
    expect(toWardenMode("acceptEdits")).toBe("acceptEdits");
    expect(toWardenMode("auto")).toBeUndefined();
  });
});
