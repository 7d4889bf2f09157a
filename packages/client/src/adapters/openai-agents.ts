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
  editNotApplied,
  isEdited,
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
   * hook) as asked, true when it denies it, waits for a human or allows it with an edited input
   * (which this tool, not wrapped by {@link WardenAgents.tool}, cannot run), so the run stops with
   * an interruption that {@link WardenAgents.resolve} settles. Without a call id (never the case
   * in a run), true.
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
   * calls are approved, denied ones rejected with Warden's message. The SDK cannot change a
   * call's arguments on approval, so an allow with an edited input is approved only for a tool
   * made by {@link WardenAgents.tool} (whose `invoke` runs the edited input), and rejected
   * otherwise with a message saying the edit could not be applied. Resume with
   * `run(agent, result.state)`.
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
  // The invokes that tool() made: they run the decided input.
  const wrappedInvokes = new WeakSet<object>();
  const HOW = "the tool is not made by wardenAgents().tool(), so it would run the original input";
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
  /** `appliesEdits`: the tool's invoke runs Warden's decided input (it was made by `tool()`). */
  const approvalCheck =
    (toolName: string, appliesEdits: boolean) =>
    async (_runContext: RunContext, input: unknown, callId?: string) => {
      if (callId === undefined) return true;
      const request = await ask(
        callId,
        toolName,
        typeof input === "string" ? parseArguments(input) : toInput(input),
      );
      const outcome = await tracker.start(request);
      if (outcome === "pending" || outcome.behavior !== "allow") return true;
      return !appliesEdits && isEdited(outcome, request.input);
    };

  return {
    needsApproval: (toolName) => approvalCheck(toolName, false),

    tool(tool) {
      const invoke = tool.invoke;
      const decidedInvoke: typeof invoke = async (runContext, input, details) => {
        const callId = details?.toolCall?.callId;
        if (callId === undefined) throw new Error(`Warden needs the call id of ${tool.name}`);
        const decision = await tracker.decide(
          await ask(callId, tool.name, parseArguments(input), details?.signal),
        );
        if (decision.behavior !== "allow")
          throw new Error(`Warden denied ${tool.name}: ${decision.message}`);
        return invoke(runContext, JSON.stringify(decision.input), details);
      };
      wrappedInvokes.add(decidedInvoke);
      return { ...tool, needsApproval: approvalCheck(tool.name, true), invoke: decidedInvoke };
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
          const toolName = item.name ?? raw.type;
          const request = await ask(
            callId,
            toolName,
            parseArguments(item.arguments),
            options.signal,
          );
          const decision = await tracker.decide(request);
          if (decision.behavior === "allow" && isEdited(decision, request.input)) {
            const tool = item.agent?.tools?.find((t) => "name" in t && t.name === toolName);
            if (!(tool && "invoke" in tool && wrappedInvokes.has(tool.invoke))) {
              const refused: Decision = {
                behavior: "deny",
                reason: "rejected",
                message: editNotApplied(toolName, HOW),
              };
              result.state.reject(item, { message: refused.message });
              return refused;
            }
          }
          if (decision.behavior === "allow") result.state.approve(item);
          else result.state.reject(item, { message: decision.message });
          return decision;
        }),
      );
    },

    dispose: () => tracker.dispose(),
  };
}
