import type { WardenSession } from "@warden/client";
import { compilePolicy } from "@warden/rules";
import type { RefusalReason } from "./results.ts";
import { type ToolVerdict, toolVerdict } from "./tool-verdicts.ts";

/** One tools/call as Warden sees it. */
export interface GateAsk {
  readonly toolName: string;
  readonly input: Record<string, unknown>;
  /** The line approvers read. */
  readonly action: string;
  /** The client's cancellation: aborting cancels the request in Warden. */
  readonly signal: AbortSignal;
}

/** Forward (with the input to run, maybe edited by a human) or refuse. */
export type GateDecision =
  | { readonly behavior: "allow"; readonly input: Record<string, unknown> }
  | { readonly behavior: "deny"; readonly reason: RefusalReason; readonly message: string };

/** What the relay needs of Warden. */
export interface Gate {
  /** Decides one call; never throws: any failure is a refusal (fail closed). */
  decide(ask: GateAsk): Promise<GateDecision>;
  /** The policy's verdict per tool name, or undefined when the policy cannot be read now. */
  verdicts(): Promise<((toolName: string) => ToolVerdict) | undefined>;
  /** Calls `listener` whenever the session's rules change; returns the unsubscribe function. */
  watchPolicy(listener: () => void): Promise<() => void>;
}

const POLICY_READ_MS = 5_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A gate backed by one Warden session (fast path included: rule-settled calls stay local). */
export function wardenGate(session: WardenSession): Gate {
  return {
    async decide(ask) {
      try {
        const decision = await session.requestPermission({
          toolName: ask.toolName,
          input: ask.input,
          action: ask.action,
          signal: ask.signal,
        });
        if (decision.behavior === "allow") return { behavior: "allow", input: decision.input };
        return { behavior: "deny", reason: decision.reason, message: decision.message };
      } catch (error) {
        if (ask.signal.aborted) return { behavior: "deny", reason: "cancelled", message: "" };
        const { code, message } = error as { code?: string; message?: string };
        return {
          behavior: "deny",
          reason: "warden_unavailable",
          message: `${code ?? "error"}: ${message ?? String(error)}`,
        };
      }
    },
    async verdicts() {
      const read = session
        .connection()
        .then((conn) => conn.getPolicy())
        .catch(() => undefined);
      const snapshot = await within(read, POLICY_READ_MS);
      if (!snapshot) return undefined;
      try {
        const policy = compilePolicy({ ...snapshot.documents });
        return (toolName) => toolVerdict(policy, toolName, snapshot.context);
      } catch {
        return undefined;
      }
    },
    watchPolicy(listener) {
      return session.subscribe({ onRulesChanged: () => listener() });
    },
  };
}
