import { wardenApproval } from "@warden/client/ai-sdk";
import {
  generateText,
  type ModelMessage,
  stepCountIs,
  streamText,
  type ToolApprovalStatus,
  tool,
} from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from "vitest";
import { z } from "zod";
import { answerAs, type Harness, HOOK_EDIT, startHarness } from "./harness.ts";

// One agent session per file, as one agent run: the engine keeps every connected session actor
// awake, and under load it stops creating new actors after a handful are awake.
const SESSION = "ai-run";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** What a V4 model's stream carries. */
type StreamPart =
  Awaited<ReturnType<MockLanguageModelV4["doStream"]>>["stream"] extends ReadableStream<infer P>
    ? P
    : never;

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

/** A scripted model: first it calls the given tool, then, once it sees tool output, it answers with text. */
function scriptedModel(
  toolName: string,
  input: Record<string, unknown>,
  toolCallId = `call_${crypto.randomUUID().slice(0, 8)}`,
) {
  return new MockLanguageModelV4({
    doGenerate: async ({ prompt }) => {
      const last = prompt.at(-1);
      if (last?.role === "tool") {
        return {
          content: [{ type: "text", text: `saw: ${JSON.stringify(last.content)}` }],
          finishReason: { unified: "stop", raw: "stop" },
          usage,
          warnings: [],
        };
      }
      return {
        content: [{ type: "tool-call", toolCallId, toolName, input: JSON.stringify(input) }],
        finishReason: { unified: "tool-calls", raw: "tool_calls" },
        usage,
        warnings: [],
      };
    },
  });
}

/** The same script, streamed: a tool call first, then text once the model sees tool output. */
function streamingModel(toolName: string, input: Record<string, unknown>) {
  const toolCallId = `call_${crypto.randomUUID().slice(0, 8)}`;
  return new MockLanguageModelV4({
    doStream: async ({ prompt }) => {
      const last = prompt.at(-1);
      const parts: StreamPart[] =
        last?.role === "tool"
          ? [
              { type: "text-start", id: "t1" },
              {
                type: "text-delta",
                id: "t1",
                delta: `saw: ${JSON.stringify(last.content)}`,
              },
              { type: "text-end", id: "t1" },
              {
                type: "finish",
                finishReason: { unified: "stop", raw: "stop" },
                usage,
              },
            ]
          : [
              { type: "tool-call", toolCallId, toolName, input: JSON.stringify(input) },
              {
                type: "finish",
                finishReason: { unified: "tool-calls", raw: "tool_calls" },
                usage,
              },
            ];
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
}

/** Tools that record what they ran. */
function makeTools() {
  const ran: { tool: string; input: unknown }[] = [];
  const tools = {
    read_file: tool({
      description: "Read a file",
      inputSchema: z.object({ path: z.string() }),
      execute: async (input) => {
        ran.push({ tool: "read_file", input });
        return `contents of ${input.path}`;
      },
    }),
    shell: tool({
      description: "Run a shell command",
      inputSchema: z.object({ command: z.string() }),
      execute: async (input) => {
        ran.push({ tool: "shell", input });
        return `ran ${input.command}`;
      },
    }),
  };
  return { ran, tools };
}

const prompt: ModelMessage[] = [{ role: "user", content: "do the thing" }];

describe("Vercel AI SDK tool approval", () => {
  test("a call the rules allow is approved at once and runs", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("read_file", { path: "README.md" });
    const result = await generateText({
      model,
      tools: approval.tools(tools),
      toolApproval: approval.toolApproval,
      messages: prompt,
      stopWhen: stepCountIs(5),
    });
    expect(ran).toEqual([{ tool: "read_file", input: { path: "README.md" } }]);
    expect(result.text).toContain("contents of README.md");
    expect(result.content.some((p) => p.type === "tool-approval-request" && !p.isAutomatic)).toBe(
      false,
    );
    await approval.dispose();
  });

  test("a call a deny rule matches is denied at once; the model sees the rule's message", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("shell", { command: "rm -rf /" });
    const result = await generateText({
      model,
      tools: approval.tools(tools),
      toolApproval: approval.toolApproval,
      messages: prompt,
      stopWhen: stepCountIs(5),
    });
    expect(ran).toEqual([]);
    expect(result.text).toContain("No deleting.");
    expect(JSON.stringify(model.doGenerateCalls[1]?.prompt)).toContain("No deleting.");
    await approval.dispose();
  });

  test("an ask pauses the run; a Warden approver's once lets the next call run it", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("shell", { command: "npm test" }, "call_once_1");
    const wrapped = approval.tools(tools);
    const first = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: prompt,
    });
    const asked = first.content.filter((p) => p.type === "tool-approval-request");
    expect(asked).toHaveLength(1);
    expect(ran).toEqual([]);

    const approver = await answerAs(h.approver, SESSION, () => ({ reply: "once" }));
    const answers = await approval.respond(first.content);
    expect(answers).toMatchObject({
      role: "tool",
      content: [{ type: "tool-approval-response", approved: true }],
    });
    expect(approver.seen).toMatchObject([
      { requestId: "call_once_1", toolName: "shell", input: { command: "npm test" } },
    ]);

    const second = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: [...prompt, ...first.response.messages, answers!],
    });
    expect(ran).toEqual([{ tool: "shell", input: { command: "npm test" } }]);
    expect(second.text).toContain("ran npm test");
    expect(approver.seen).toHaveLength(1);
    approver.stop();
    await approval.dispose();
  });

  test("a rejection with a message denies the call; the model sees the message", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("shell", { command: "psql prod" });
    const wrapped = approval.tools(tools);
    const first = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: prompt,
    });
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "reject",
      options: { message: "Use the staging database." },
    }));
    const answers = await approval.respond(first.content);
    expect(answers?.content).toMatchObject([
      { approved: false, reason: "Use the staging database." },
    ]);
    const second = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: [...prompt, ...first.response.messages, answers!],
    });
    expect(ran).toEqual([]);
    expect(second.text).toContain("Use the staging database.");
    approver.stop();
    await approval.dispose();
  });

  test("an input the approver edited is the input the tool runs with", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("shell", { command: "npm test" });
    const wrapped = approval.tools(tools);
    const first = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: prompt,
    });
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: "npm test -- --run" } },
    }));
    const answers = await approval.respond(first.content);
    await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: [...prompt, ...first.response.messages, answers!],
    });
    expect(ran).toEqual([{ tool: "shell", input: { command: "npm test -- --run" } }]);
    approver.stop();
    await approval.dispose();
  });

  /**
   * A call that waits for a human, answered with an edit, then the call that carries the
   * responses, both given the plain (unwrapped) tools: neither input may run.
   */
  async function editWithPlainTools(command: string, wrapTools: boolean) {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    if (wrapTools) approval.tools(tools); // wrapped, but the calls below are given the originals
    const model = scriptedModel("shell", { command });
    const call = (messages: ModelMessage[]) =>
      generateText({ model, tools, toolApproval: approval.toolApproval, messages });
    const first = await call(prompt);
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: `${command} --dry-run` } },
    }));
    const answers = await approval.respond(first.content);
    const second = await call([...prompt, ...first.response.messages, answers!]);
    expect(ran).toEqual([]);
    expect(second.text).toContain("edit cannot be applied");
    approver.stop();
    await approval.dispose();
    return answers;
  }

  test("tools not wrapped: an edited input is refused with a clear reason, and neither input runs", async () => {
    const answers = await editWithPlainTools("npm publish", false);
    expect(answers?.content).toMatchObject([
      { approved: false, reason: expect.stringContaining("edit cannot be applied") },
    ]);
  });

  test("an approval of an edit for wrapped tools is checked again when the next call runs unwrapped ones", async () => {
    const answers = await editWithPlainTools("terraform apply", true);
    expect(answers?.content).toMatchObject([{ approved: true }]);
  });

  test("the hook's edit, decided at once: wrapped tools run the edited input, unwrapped ones are refused", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const wrappedRun = makeTools();
    await generateText({
      model: scriptedModel("shell", { command: "hook-edit a" }),
      tools: approval.tools(wrappedRun.tools),
      toolApproval: approval.toolApproval,
      messages: prompt,
      stopWhen: stepCountIs(5),
    });
    expect(wrappedRun.ran).toEqual([
      { tool: "shell", input: { command: `hook-edit a${HOOK_EDIT}` } },
    ]);

    const plainRun = makeTools();
    const result = await generateText({
      model: scriptedModel("shell", { command: "hook-edit b" }),
      tools: plainRun.tools,
      toolApproval: approval.toolApproval,
      messages: prompt,
      stopWhen: stepCountIs(5),
    });
    expect(plainRun.ran).toEqual([]);
    expect(result.text).toContain("edit cannot be applied");
    await approval.dispose();
  });

  test("an edited input that breaks the tool's schema never runs", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("shell", { command: "make" });
    const wrapped = approval.tools(tools);
    const first = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: prompt,
    });
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: 42 } },
    }));
    const answers = await approval.respond(first.content);
    const second = await generateText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: [...prompt, ...first.response.messages, answers!],
    });
    expect(ran).toEqual([]);
    expect(second.text).toContain("invalid");
    approver.stop();
    await approval.dispose();
  });

  test("wrapped tools ask Warden even without toolApproval", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = scriptedModel("shell", { command: "rm -rf /tmp/x" });
    const result = await generateText({
      model,
      tools: approval.tools(tools),
      messages: prompt,
      stopWhen: stepCountIs(5),
    });
    expect(ran).toEqual([]);
    expect(result.text).toContain("No deleting.");
    await approval.dispose();
  });

  test("streamText: the stream carries the approval request; Warden's answer lets the next stream run the tool", async () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { ran, tools } = makeTools();
    const model = streamingModel("shell", { command: "npm run build" });
    const wrapped = approval.tools(tools);
    const first = streamText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: prompt,
    });
    const types: string[] = [];
    for await (const part of first.fullStream) types.push(part.type);
    expect(types).toContain("tool-approval-request");
    expect(ran).toEqual([]);

    const approver = await answerAs(h.approver, SESSION, () => ({ reply: "once" }));
    const answers = await approval.respond(await first.content);
    const second = streamText({
      model,
      tools: wrapped,
      toolApproval: approval.toolApproval,
      messages: [...prompt, ...(await first.response).messages, answers!],
    });
    expect(await second.text).toContain("ran npm run build");
    expect(ran).toEqual([{ tool: "shell", input: { command: "npm run build" } }]);
    approver.stop();
    await approval.dispose();
  });

  test("types", () => {
    const approval = wardenApproval(h.agent.session(SESSION));
    const { tools } = makeTools();
    expectTypeOf(approval.tools(tools)).toEqualTypeOf<typeof tools>();
    expectTypeOf(approval.toolApproval).returns.resolves.toEqualTypeOf<ToolApprovalStatus>();
  });
});
