import type {
  FunctionTool,
  RunContext,
  RunState,
  RunToolApprovalItem,
  ToolInputParameters,
} from "@openai/agents";
import type { WardenSession } from "../session.ts";
import {
  type Decision,
  DecisionTracker,
  parseArguments,
  toInput,
  toRequestId,
} from "./decisions.ts";

/** What {@link WardenAgents.resolve} needs of a run result: its interruptions and its state. */
export interface InterruptedRun {
  readonly interruptions: readonly RunToolApprovalItem[];
  readonly state: Pick<RunState<unknown, never>, "approve" | "reject">;
}

/** Warden behind the OpenAI Agents SDK's approvals: see {@link wardenAgents}. */
export interface WardenAgents {
  /**
   * A `needsApproval` for the tool `toolName`: false when Warden allows the call (by rule or
   * hook), true when it denies it or waits for a human, so the run stops with an interruption that
   * {@link WardenAgents.resolve} settles. Without a call id (never the case in a run), true.
   */
  needsApproval(
    toolName: string,
  ): (runContext: RunContext, input: unknown, callId?: string) => Promise<boolean>;
  /**
   * The tool with Warden's `needsApproval`, whose `invoke` runs with the input Warden decided (an
   * approver may have edited it; the SDK validates it against the tool's parameters again) and
   * never runs what Warden denied.
   */
  tool<Context, TParameters extends ToolInputParameters, Result>(
    tool: FunctionTool<Context, TParameters, Result>,
  ): FunctionTool<Context, TParameters, Result>;
  /**
   * Settles a run's interruptions by Warden's decisions, waiting for Warden's approvers: allowed
   * calls are approved, denied ones rejected with Warden's message. Resume with `run(agent, result.state)`.
   */
  resolve(result: InterruptedRun, options?: { signal?: AbortSignal }): Promise<Decision[]>;
  /** Stops listening to the session. */
  dispose(): Promise<void>;
}

/**
 * Backs the OpenAI Agents SDK's tool approvals (`needsApproval`, `result.interruptions`,
 * `state.approve` / `state.reject`) by Warden. The call id is the request id.
 * @example
 * const warden = wardenAgents(client.session("run-9"));
 * const agent = new Agent({ name: "ops", tools: [warden.tool(shell)] });
 * let result = await run(agent, "deploy the docs");
 * while (result.interruptions.length > 0) {
 *   await warden.resolve(result); // waits for Warden's approvers
 *   result = await run(agent, result.state);
 * }
 */
export function wardenAgents(session: WardenSession): WardenAgents {
  const tracker = new DecisionTracker(session);
  const ask = async (
    callId: string,
    toolName: string,
    input: Record<string, unknown>,
    signal?: AbortSignal,
  ) => ({
    requestId: await toRequestId(callId),
    toolName,
    input,
    ...(signal ? { signal } : {}),
  });
  const needsApproval =
    (toolName: string) => async (_runContext: RunContext, input: unknown, callId?: string) => {
      if (callId === undefined) return true;
      const outcome = await tracker.start(
        await ask(
          callId,
          toolName,
          typeof input === "string" ? parseArguments(input) : toInput(input),
        ),
      );
      return outcome === "pending" || outcome.behavior === "deny";
    };

  return {
    needsApproval,

    tool(tool) {
      const invoke = tool.invoke;
      return {
        ...tool,
        needsApproval: needsApproval(tool.name),
        invoke: async (runContext, input, details) => {
          const callId = details?.toolCall?.callId;
          if (callId === undefined) throw new Error(`Warden needs the call id of ${tool.name}`);
          const decision = await tracker.decide(
            await ask(callId, tool.name, parseArguments(input), details?.signal),
          );
          if (decision.behavior === "deny")
            throw new Error(`Warden denied ${tool.name}: ${decision.message}`);
          return invoke(runContext, JSON.stringify(decision.input), details);
        },
      };
    },

    async resolve(result, options = {}) {
      return Promise.all(
        result.interruptions.map(async (item) => {
          const raw = item.rawItem;
          const callId = "callId" in raw && typeof raw.callId === "string" ? raw.callId : raw.id;
          if (callId === undefined) {
            const decision: Decision = {
              behavior: "deny",
              reason: "rejected",
              message: "The call has no id to ask Warden with.",
            };
            result.state.reject(item, { message: decision.message });
            return decision;
          }
          const decision = await tracker.decide(
            await ask(
              callId,
              item.name ?? raw.type,
              parseArguments(item.arguments),
              options.signal,
            ),
          );
          if (decision.behavior === "allow") result.state.approve(item);
          else result.state.reject(item, { message: decision.message });
          return decision;
        }),
      );
    },

    dispose: () => tracker.dispose(),
  };
}
