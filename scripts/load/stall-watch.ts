// Sessions that stopped answering. A call unanswered for `STALL_MS` is looked at: what its SDK
// session is doing (connection, wake bound, policy fetch, report queue) and what its actor answers
// on a fresh connection from another client, one action per awaited step of the actor
// (`listRules` waits for the project's rules, `listPending` for the audit-log recovery,
// `getHistory` for the audit-log append as well). So a stall says which side holds it: an SDK that
// never sends, an actor that does not answer anyone, or one connection that leads nowhere.
import { createWardenClient, type SessionDiagnostics, type WardenSession } from "@warden/client";
import type { LoadTarget } from "./embedded-server.ts";

/** How long a call may go unanswered before its session is looked at. */
export const STALL_MS = 60_000;
/** How often one stalled session is looked at again. */
const PROBE_EVERY_MS = 120_000;
/** How long one probe action may take before it counts as unanswered. */
const PROBE_MS = 15_000;

/** What a stalled session was found doing. */
export interface StallReport {
  readonly sessionId: string;
  readonly requestId: string;
  /** Seconds since the run began, and since the call began. */
  readonly at_s: number;
  readonly waiting_s: number;
  readonly sdk: SessionDiagnostics;
  /** Each probe action on a fresh connection: `ok <ms> ms`, `no answer in <ms> ms` or `error <code>`. */
  readonly probes: Record<string, string>;
}

/** Watches calls; `check` probes those unanswered for `STALL_MS`. */
export function createStallWatch(options: {
  readonly target: LoadTarget;
  readonly sessionOf: (sessionId: string) => WardenSession;
  readonly started: number;
  readonly log: (line: string) => void;
}) {
  const calls = new Map<string, { requestId: string; since: number }>();
  const probed = new Map<string, number>();
  const reports: StallReport[] = [];
  let checking = false;

  const probe = async (sessionId: string): Promise<Record<string, string>> => {
    // Its own client: its own connection and wake bound, one attempt per action (no retries).
    // An approver's token: `getHistory` is not an agent's to call.
    const client = createWardenClient({
      endpoint: options.target.endpoint,
      project: options.target.project,
      token: options.target.approverTokens[0] ?? options.target.agentToken,
      fastPath: "off",
      retry: { deadlineMs: 0 },
    });
    const session = client.session(sessionId);
    const timed = async (action: () => Promise<unknown>): Promise<string> => {
      const begun = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const answered = await Promise.race([
          action().then(() => true),
          new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), PROBE_MS);
          }),
        ]);
        return answered
          ? `ok ${(performance.now() - begun).toFixed(0)} ms`
          : `no answer in ${PROBE_MS} ms`;
      } catch (error) {
        return `error ${(error as { code?: string }).code ?? String(error)}`;
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      const [listRules, listPending, getHistory] = await Promise.all([
        timed(() => session.listRules()),
        timed(() => session.listPending()),
        timed(() => session.getHistory({ limit: 1 })),
      ]);
      return { listRules, listPending, getHistory };
    } finally {
      // Not awaited: against a wedged runner the client's own disposal may never end, and the
      // next sessions must still be looked at.
      void client.dispose({ flushMs: 0 }).catch(() => undefined);
    }
  };

  return {
    reports,
    /** A call of this session began. */
    begin(sessionId: string, requestId: string) {
      calls.set(sessionId, { requestId, since: performance.now() });
    },
    /** The session's call ended. */
    end(sessionId: string) {
      calls.delete(sessionId);
    },
    /** Probes the sessions whose call is unanswered for `STALL_MS` (one round at a time). */
    async check() {
      if (checking) return;
      checking = true;
      try {
        const now = performance.now();
        // A call waiting its turn under the client's wake bound is queued, not stalled (a herd's
        // last wakes wait minutes): only sessions not waiting for that turn, the longest first.
        const stalled = [...calls]
          .filter(
            ([id, call]) =>
              now - call.since >= STALL_MS &&
              now - (probed.get(id) ?? -Infinity) >= PROBE_EVERY_MS &&
              !options.sessionOf(id).diagnostics.connection.waking,
          )
          .sort((a, b) => a[1].since - b[1].since);
        for (const [sessionId, call] of stalled.slice(0, 8)) {
          probed.set(sessionId, now);
          const sdk = options.sessionOf(sessionId).diagnostics;
          const probes = await probe(sessionId);
          // Answered while being looked at: a call just let through the wake bound, queued rather
          // than stalled (1,000 sessions: ~200 such looks, all answered within seconds).
          if (calls.get(sessionId) !== call) continue;
          const report: StallReport = {
            sessionId,
            requestId: call.requestId,
            at_s: Math.round((now - options.started) / 1000),
            waiting_s: Math.round((now - call.since) / 1000),
            sdk,
            probes,
          };
          reports.push(report);
          options.log(`stalled: ${JSON.stringify(report)}`);
        }
      } finally {
        checking = false;
      }
    },
  };
}
