// The adapters' own line of defence: whatever a session hands them that is not an allow is a
// denial. (A real session never hands over a malformed decision, `checkedDecision` refuses it first;
// this session is a stand-in that does, to check the adapters test for "allow", not for "deny".)
import { jsonSchema } from "ai";
import { describe, expect, test } from "vitest";
import type { WardenSession } from "../session.ts";
import { wardenApproval } from "./ai-sdk.ts";
import { wardenAgents } from "./openai-agents.ts";

const malformed = { behavior: "ask", message: "?", reason: "rule" };
const session = {
  requestPermission: async () => malformed,
  subscribe: async () => () => undefined,
} as unknown as WardenSession;

describe("an answer that is not an allow never lets a call run", () => {
  test("AI SDK: toolApproval denies, a wrapped execute throws", async () => {
    const approval = wardenApproval(session);
    const toolCall = { toolCallId: "c1", toolName: "shell", input: { command: "ls" } };
    await expect(approval.toolApproval({ toolCall })).resolves.toMatchObject({ type: "denied" });
    let ran = false;
    const tools = approval.tools({
      shell: {
        inputSchema: jsonSchema({ type: "object" }),
        execute: async () => {
          ran = true;
          return "ran";
        },
      },
    } as never) as { shell: { execute: (input: unknown, options: unknown) => Promise<unknown> } };
    await expect(
      tools.shell.execute({ command: "ls" }, { toolCallId: "c2", messages: [] }),
    ).rejects.toThrow();
    expect(ran).toBe(false);
  });

  test("OpenAI Agents SDK: needsApproval stops the run", async () => {
    const agents = wardenAgents(session);
    await expect(
      agents.needsApproval("shell")({} as never, { command: "ls" }, "call-1"),
    ).resolves.toBe(true);
  });
});
