import {
  Agent,
  type AgentInputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type RunContext,
  run,
  setTracingDisabled,
  tool,
  Usage,
} from "@openai/agents";
import { wardenAgents } from "@warden/client/openai-agents";
import { afterAll, beforeAll, describe, expect, expectTypeOf, test } from "vitest";
import { z } from "zod";
import { answerAs, type Harness, HOOK_EDIT, startHarness } from "./harness.ts";

// One agent session per file, as one agent run: the engine keeps every connected session actor
// awake, and under load it stops creating new actors after a handful are awake.
const SESSION = "agents-run";

let h: Harness;
beforeAll(async () => {
  setTracingDisabled(true);
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

/** A scripted model: it calls the given tool, then answers with the text of the tool's output. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(
    readonly toolName: string,
    readonly input: Record<string, unknown>,
    readonly callId = `call_${crypto.randomUUID().slice(0, 8)}`,
  ) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const items: AgentInputItem[] = typeof request.input === "string" ? [] : request.input;
    const result = items.findLast((item) => item.type === "function_call_result");
    if (result && result.type === "function_call_result") {
      const text =
        typeof result.output === "string" ? result.output : JSON.stringify(result.output);
      return {
        usage: new Usage(),
        output: [
          {
            type: "message",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: `saw: ${text}` }],
          },
        ],
      };
    }
    return {
      usage: new Usage(),
      output: [
        {
          type: "function_call",
          callId: this.callId,
          name: this.toolName,
          arguments: JSON.stringify(this.input),
          status: "completed",
        },
      ],
    };
  }

  // biome-ignore lint/correctness/useYield: the runs here never stream
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error("not used: the tests run without streaming");
  }
}

/**
 * An agent with `read_file` and `shell` tools that record what they ran: made by `warden.tool()`,
 * or with `wrap: false` plain tools given Warden's `needsApproval` alone.
 */
function makeAgent(warden: ReturnType<typeof wardenAgents>, model: Model, { wrap = true } = {}) {
  const ran: { tool: string; input: unknown }[] = [];
  const readFile = tool({
    name: "read_file",
    description: "Read a file",
    parameters: z.object({ path: z.string() }),
    ...(wrap ? {} : { needsApproval: warden.needsApproval("read_file") }),
    execute: async (input) => {
      ran.push({ tool: "read_file", input });
      return `contents of ${input.path}`;
    },
  });
  const shell = tool({
    name: "shell",
    description: "Run a shell command",
    parameters: z.object({ command: z.string() }),
    ...(wrap ? {} : { needsApproval: warden.needsApproval("shell") }),
    execute: async (input) => {
      ran.push({ tool: "shell", input });
      return `ran ${input.command}`;
    },
  });
  const agent = new Agent({
    name: "ops",
    instructions: "Use the tools.",
    model,
    tools: wrap ? [warden.tool(readFile), warden.tool(shell)] : [readFile, shell],
  });
  return { agent, ran };
}

/** The run stops at `shell`; resolve refuses the edit it cannot apply, and nothing runs. */
async function expectEditRefused(
  warden: ReturnType<typeof wardenAgents>,
  { agent, ran }: ReturnType<typeof makeAgent>,
  input: string,
) {
  const interrupted = await run(agent, input);
  expect(interrupted.interruptions.map((item) => item.name)).toEqual(["shell"]);
  await expect(warden.resolve(interrupted)).resolves.toMatchObject([
    { behavior: "deny", message: expect.stringContaining("edit cannot be applied") },
  ]);
  const result = await run(agent, interrupted.state);
  expect(ran).toEqual([]);
  expect(result.finalOutput).toContain("edit cannot be applied");
}

describe("OpenAI Agents SDK approvals", () => {
  test("a call the rules allow needs no approval and runs", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const { agent, ran } = makeAgent(warden, new ScriptedModel("read_file", { path: "README.md" }));
    const result = await run(agent, "read the readme");
    expect(result.interruptions).toEqual([]);
    expect(ran).toEqual([{ tool: "read_file", input: { path: "README.md" } }]);
    expect(result.finalOutput).toContain("contents of README.md");
    await warden.dispose();
  });

  test("a call a deny rule matches is rejected with the rule's message and never runs", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const { agent, ran } = makeAgent(warden, new ScriptedModel("shell", { command: "rm -rf /" }));
    let result = await run(agent, "clean up");
    expect(result.interruptions).toHaveLength(1);
    await expect(warden.resolve(result)).resolves.toMatchObject([
      { behavior: "deny", reason: "rule", message: "No deleting." },
    ]);
    result = await run(agent, result.state);
    expect(result.interruptions).toEqual([]);
    expect(ran).toEqual([]);
    expect(result.finalOutput).toContain("No deleting.");
    await warden.dispose();
  });

  test("an ask interrupts the run; a Warden approver's once approves it", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const { agent, ran } = makeAgent(
      warden,
      new ScriptedModel("shell", { command: "npm test" }, "call_oa_once"),
    );
    let result = await run(agent, "test it");
    expect(result.interruptions.map((item) => item.name)).toEqual(["shell"]);
    expect(ran).toEqual([]);
    const approver = await answerAs(h.approver, SESSION, () => ({ reply: "once" }));
    await expect(warden.resolve(result)).resolves.toMatchObject([
      { behavior: "allow", reason: "approved" },
    ]);
    expect(approver.seen).toMatchObject([
      { requestId: "call_oa_once", toolName: "shell", input: { command: "npm test" } },
    ]);
    result = await run(agent, result.state);
    expect(result.interruptions).toEqual([]);
    expect(ran).toEqual([{ tool: "shell", input: { command: "npm test" } }]);
    expect(result.finalOutput).toContain("ran npm test");
    expect(approver.seen).toHaveLength(1);
    approver.stop();
    await warden.dispose();
  });

  test("a rejection with a message rejects the interruption; the model sees the message", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const { agent, ran } = makeAgent(warden, new ScriptedModel("shell", { command: "psql prod" }));
    let result = await run(agent, "query prod");
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "reject",
      options: { message: "Use the staging database." },
    }));
    await warden.resolve(result);
    result = await run(agent, result.state);
    expect(ran).toEqual([]);
    expect(result.finalOutput).toContain("Use the staging database.");
    approver.stop();
    await warden.dispose();
  });

  test("an input the approver edited is the input the tool runs with", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const { agent, ran } = makeAgent(warden, new ScriptedModel("shell", { command: "npm test" }));
    let result = await run(agent, "test it");
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: "npm test -- --run" } },
    }));
    await warden.resolve(result);
    result = await run(agent, result.state);
    expect(ran).toEqual([{ tool: "shell", input: { command: "npm test -- --run" } }]);
    expect(result.finalOutput).toContain("ran npm test -- --run");
    approver.stop();
    await warden.dispose();
  });

  test("a tool not made by warden.tool(): an edited input is rejected with a clear message, and neither input runs", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const approver = await answerAs(h.approver, SESSION, () => ({
      reply: "once",
      options: { updatedInput: { command: "npm publish --dry-run" } },
    }));
    const tools = makeAgent(warden, new ScriptedModel("shell", { command: "npm publish" }), {
      wrap: false,
    });
    await expectEditRefused(warden, tools, "publish");
    approver.stop();
    await warden.dispose();
  });

  test("the hook's edit, decided at once: a tool from warden.tool() runs the edited input without an interruption", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const { agent, ran } = makeAgent(
      warden,
      new ScriptedModel("shell", { command: "hook-edit a" }),
    );
    const result = await run(agent, "format");
    expect(result.interruptions).toEqual([]);
    expect(ran).toEqual([{ tool: "shell", input: { command: `hook-edit a${HOOK_EDIT}` } }]);
    await warden.dispose();
  });

  test("the hook's edit for a tool not made by warden.tool(): the run stops, and resolve refuses it", async () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    const tools = makeAgent(warden, new ScriptedModel("shell", { command: "hook-edit b" }), {
      wrap: false,
    });
    await expectEditRefused(warden, tools, "format");
    await warden.dispose();
  });

  test("types: needsApproval is the SDK's approval function", () => {
    const warden = wardenAgents(h.agent.session(SESSION));
    expectTypeOf(warden.needsApproval("shell")).parameter(0).toEqualTypeOf<RunContext>();
    expectTypeOf(warden.needsApproval("shell")).returns.resolves.toEqualTypeOf<boolean>();
  });
});
