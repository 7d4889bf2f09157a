import {
  asSchema,
  type ContentPart,
  type ToolApprovalResponse,
  type ToolApprovalStatus,
  type ToolModelMessage,
  type ToolSet,
} from "ai";
import type { WardenSession } from "../session.ts";
import {
  DecisionTracker,
  editNotApplied,
  isEdited,
  isRecord,
  toInput,
  toRequestId,
} from "./decisions.ts";

/** What the AI SDK's `toolApproval` function receives that Warden needs. */
export interface ApprovalCall {
  readonly toolCall: {
    readonly toolCallId: string;
    readonly toolName: string;
    readonly input: unknown;
  };
  /** The tools of the call: an edited input is approved only for a tool that `tools()` wrapped. */
  readonly tools?: ToolSet | undefined;
}

/** Warden behind the AI SDK's tool approval: see {@link wardenApproval}. */
export interface WardenApproval {
  /**
   * For `toolApproval` of `generateText`, `streamText` or `ToolLoopAgent`: what Warden's rules or
   * hook settle is `approved` or `denied` (with Warden's message as the reason, which the model
   * sees); what waits for a human is `user-approval`, with the action line as the reason.
   * An allow with an edited input (by an approver or the hook) is `approved` only when the tool
   * is one that {@link WardenApproval.tools} wrapped, whose `execute` runs the edited input; for
   * any other tool it is `denied` with a reason that says the edit could not be applied, since
   * approving would run the original call. Pass it to every call, also the one that carries the
   * approval responses: the AI SDK checks approved responses with it again.
   */
  readonly toolApproval: (options: ApprovalCall) => Promise<ToolApprovalStatus>;
  /**
   * Wraps tools so that each `execute` runs with the input Warden decided (an approver may have
   * edited it, and it is validated against the tool's input schema again) and never runs what
   * Warden denied. Tools without `execute` are returned as they are.
   */
  tools<TOOLS extends ToolSet>(tools: TOOLS): TOOLS;
  /**
   * Waits for Warden's decisions on a step's approval requests (approvers answer in Warden) and
   * returns the tool message of approval responses to append before the next call, or undefined
   * when nothing waits. An allow with an edited input is approved only for a tool name that
   * {@link WardenApproval.tools} wrapped, and refused otherwise (see `toolApproval`).
   */
  respond<TOOLS extends ToolSet>(
    content: readonly ContentPart<TOOLS>[],
    options?: { signal?: AbortSignal },
  ): Promise<ToolModelMessage | undefined>;
  /** Stops listening to the session. */
  dispose(): Promise<void>;
}

/**
 * Backs the Vercel AI SDK's tool approval (v7's `toolApproval`, `tool-approval-request` and
 * `tool-approval-response` parts) by Warden. The tool-call id is the request id.
 * @example
 * const approval = wardenApproval(warden.session("chat-7"));
 * const tools = approval.tools({ shell });
 * let result = await generateText({ model, tools, toolApproval: approval.toolApproval, messages });
 * const answers = await approval.respond(result.content); // waits for Warden's approvers
 * if (answers) result = await generateText({ model, tools, toolApproval: approval.toolApproval, messages: [...messages, ...result.response.messages, answers] });
 */
export function wardenApproval(session: WardenSession): WardenApproval {
  const tracker = new DecisionTracker(session);
  // The executes that tools() made, which run the decided input, and the names they were given.
  const wrappedExecutes = new WeakSet<object>();
  const wrappedNames = new Set<string>();
  const HOW = "the tool is not wrapped with approval.tools(), so it would run the original input";
  const ask = async (
    toolCallId: string,
    toolName: string,
    input: unknown,
    signal?: AbortSignal,
  ) => ({
    requestId: await toRequestId(toolCallId),
    toolName,
    input: toInput(input),
    ...(signal ? { signal } : {}),
  });

  return {
    async toolApproval({ toolCall, tools }) {
      const request = await ask(toolCall.toolCallId, toolCall.toolName, toolCall.input);
      const outcome = await tracker.start(request);
      if (outcome === "pending")
        return { type: "user-approval", reason: `Waiting for Warden: ${toolCall.toolName}` };
      if (outcome.behavior !== "allow") return { type: "denied", reason: outcome.message };
      const tool =
        tools && Object.hasOwn(tools, toolCall.toolName) ? tools[toolCall.toolName] : undefined;
      if (isEdited(outcome, request.input) && !(tool?.execute && wrappedExecutes.has(tool.execute)))
        return { type: "denied", reason: editNotApplied(toolCall.toolName, HOW) };
      return { type: "approved", reason: outcome.message };
    },

    tools<TOOLS extends ToolSet>(tools: TOOLS): TOOLS {
      const wrapped: TOOLS = { ...tools };
      for (const name of Object.keys(tools) as (keyof TOOLS & string)[]) {
        const tool = tools[name];
        if (!tool) continue;
        const execute = tool.execute;
        if (typeof execute !== "function") continue;
        const schema = asSchema(tool.inputSchema);
        const decidedExecute = async (input: unknown, options: Parameters<typeof execute>[1]) => {
          const decision = await tracker.decide(
            await ask(options.toolCallId, name, input, options.abortSignal),
          );
          if (decision.behavior !== "allow")
            throw new Error(`Warden denied ${name}: ${decision.message}`);
          let decided: unknown = isRecord(input) ? decision.input : decision.input.value;
          if (decided !== input && schema.validate) {
            const result = await schema.validate(decided);
            if (!result.success)
              throw new Error(
                `Warden's edited input for ${name} is invalid: ${result.error.message}`,
              );
            decided = result.value;
          }
          return execute(decided as Parameters<typeof execute>[0], options);
        };
        wrappedExecutes.add(decidedExecute);
        wrappedNames.add(name);
        wrapped[name] = { ...tool, execute: decidedExecute } as TOOLS[typeof name];
      }
      return wrapped;
    },

    async respond(content, options = {}) {
      const requests = content.filter(
        (part) => part.type === "tool-approval-request" && !part.isAutomatic,
      );
      const responses = await Promise.all(
        requests.map(async (part): Promise<ToolApprovalResponse | undefined> => {
          if (part.type !== "tool-approval-request") return undefined;
          const { toolCall } = part;
          const request = await ask(
            toolCall.toolCallId,
            toolCall.toolName,
            toolCall.input,
            options.signal,
          );
          const decision = await tracker.decide(request);
          const refused = isEdited(decision, request.input) && !wrappedNames.has(toolCall.toolName);
          return {
            type: "tool-approval-response",
            approvalId: part.approvalId,
            approved: decision.behavior === "allow" && !refused,
            reason: refused ? editNotApplied(toolCall.toolName, HOW) : decision.message,
          };
        }),
      );
      const parts = responses.filter((r): r is ToolApprovalResponse => r !== undefined);
      return parts.length > 0 ? { role: "tool", content: parts } : undefined;
    },

    dispose: () => tracker.dispose(),
  };
}
