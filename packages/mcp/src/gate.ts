import type { AgentDecision, WardenSession } from "@warden/client";
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
  /** The decision when it can be made at once (rule-settled, by the SDK's fast path), else undefined. */
  decideNow(ask: Omit<GateAsk, "signal">): GateDecision | undefined;
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

const STATUS_POLL_MS = 250;

/**
 * Resolves with a refusal once the session's connection has not been open for `ms` in a row,
 * so that a call never waits on an unreachable Warden longer than that (RivetKit's client keeps
 * retrying inside one attempt); `stop()` ends the watch.
 */
function unreachableAfter(session: WardenSession, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const refusal = new Promise<GateDecision>((resolve) => {
    let down = 0;
    timer = setInterval(() => {
      down = session.status === "open" ? 0 : down + STATUS_POLL_MS;
      if (down >= ms)
        resolve({
          behavior: "deny",
          reason: "warden_unavailable",
          message: `unavailable: no connection to Warden for ${Math.round(ms / 1000)} s`,
        });
    }, STATUS_POLL_MS);
  });
  return { refusal, stop: () => clearInterval(timer) };
}

/** What the relay does with the SDK's decision. */
function gateDecision(decision: AgentDecision): GateDecision {
  if (decision.behavior === "allow") return { behavior: "allow", input: decision.input };
  return { behavior: "deny", reason: decision.reason, message: decision.message };
}

/** A gate backed by one Warden session (fast path included: rule-settled calls stay local). */
export function wardenGate(session: WardenSession, options: { unreachableMs: number }): Gate {
  return {
    decideNow(ask) {
      const decision = session.decideLocally(ask);
      return decision && gateDecision(decision);
    },
    async decide(ask) {
      const watch = unreachableAfter(session, options.unreachableMs);
      const controller = new AbortController();
      const abort = () => controller.abort();
      ask.signal.addEventListener("abort", abort, { once: true });
      try {
        const decision = await Promise.race([
          session.requestPermission({
            toolName: ask.toolName,
            input: ask.input,
            action: ask.action,
            signal: controller.signal,
          }),
          // Unreachable: refuse now and cancel the request in Warden should it still arrive.
          watch.refusal.finally(abort),
        ]);
        if ("reason" in decision && decision.reason === "warden_unavailable") return decision;
        return gateDecision(decision as AgentDecision);
      } catch (error) {
        if (ask.signal.aborted) return { behavior: "deny", reason: "cancelled", message: "" };
        const { code, message } = error as { code?: string; message?: string };
        return {
          behavior: "deny",
          reason: "warden_unavailable",
          message: `${code ?? "error"}: ${message ?? String(error)}`,
        };
      } finally {
        watch.stop();
        ask.signal.removeEventListener("abort", abort);
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
