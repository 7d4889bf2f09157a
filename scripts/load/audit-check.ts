// The end of a load run: the audit log must hold every request an agent was answered for exactly
// once, with the outcome the agent got; no request may be left pending; no ask may have two winners.
import { createWardenClient } from "@warden/client";
import type { LoadTarget } from "./embedded-server.ts";
import type { AgentRecord } from "./run-load.ts";

/** What the audit log and the agents agree on, and where they do not. */
export interface AuditCheck {
  /** Calls an agent got a decision for. */
  readonly answered: number;
  /** Distinct requests of this run in the audit log. */
  readonly audited: number;
  /** Answered calls missing from the audit log. */
  readonly lost: number;
  /** Requests in the audit log more than once. */
  readonly doubled: number;
  /** Audit entries whose outcome differs from what the agent was told. */
  readonly mismatched: number;
  /** Asks answered by more than one approver (each reply said it decided). */
  readonly approvals_doubled: number;
  /** Requests of this run still pending in the inbox. */
  readonly pending_left: number;
  /** Audit entries of calls that failed on the agent's side (not an error: a retry may land). */
  readonly audited_without_answer: number;
  /** Sessions whose audit log could not be read (their requests then count as lost). */
  readonly unreadable_sessions: number;
  /** True when nothing was lost, doubled, mismatched or left pending. */
  readonly ok: boolean;
}

const READ_CONCURRENCY = 16;

/** Reads every session's audit log and the inbox, and compares them with the agents' records. */
export async function checkAudit(
  target: LoadTarget,
  records: readonly AgentRecord[],
  wins: ReadonlyMap<string, number>,
  tag: string,
): Promise<AuditCheck> {
  const reader = createWardenClient({
    endpoint: target.endpoint,
    project: target.project,
    token: target.approverTokens[0]!,
    fastPath: "off",
  });
  try {
    const inbox = reader.inbox();
    const sessions = [...new Set(records.map((r) => r.sessionId))];
    const logged = new Map<string, { count: number; outcome: string }>();
    let next = 0;
    let unreadable = 0;
    await Promise.all(
      Array.from({ length: READ_CONCURRENCY }, async () => {
        while (next < sessions.length) {
          const sessionId = sessions[next++]!;
          // The session's own audit log, the source of truth (the project's history index is
          // filled from it in the background and may still lag).
          const session = reader.session(sessionId);
          let before: number | undefined;
          try {
            do {
              const page = await session.getHistory({
                limit: 500,
                ...(before !== undefined ? { before } : {}),
              });
              for (const entry of page.entries) {
                const seen = logged.get(entry.requestId);
                logged.set(entry.requestId, {
                  count: (seen?.count ?? 0) + 1,
                  outcome: entry.resolution?.outcome ?? "none",
                });
              }
              before = page.nextBefore ?? undefined;
            } while (before !== undefined);
          } catch {
            unreadable++;
          } finally {
            await session.dispose().catch(() => {});
          }
        }
      }),
    );
    const pendingLeft = await inbox.list().then(
      (pending) => pending.filter((r) => r.requestId.startsWith(tag)).length,
      () => Number.NaN,
    );
    let lost = 0;
    let mismatched = 0;
    let withoutAnswer = 0;
    const answered = records.filter((r) => r.outcome !== "error");
    for (const record of records) {
      const entry = logged.get(record.requestId);
      if (record.outcome === "error") {
        if (entry) withoutAnswer++;
      } else if (!entry) lost++;
      else if (entry.outcome !== record.outcome) mismatched++;
    }
    const doubled = [...logged.values()].filter((e) => e.count > 1).length;
    const approvalsDoubled = [...wins.values()].filter((n) => n > 1).length;
    return {
      answered: answered.length,
      audited: logged.size,
      lost,
      doubled,
      mismatched,
      approvals_doubled: approvalsDoubled,
      pending_left: pendingLeft,
      audited_without_answer: withoutAnswer,
      unreadable_sessions: unreadable,
      ok:
        unreadable === 0 &&
        lost === 0 &&
        doubled === 0 &&
        mismatched === 0 &&
        approvalsDoubled === 0 &&
        pendingLeft === 0,
    };
  } finally {
    await reader.dispose();
  }
}
