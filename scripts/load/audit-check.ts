// The end of a load run: the audit log must hold every request an agent was answered for exactly
// once, with the outcome the agent got; no request may be left pending; no ask may have two winners.
//
// Each session's own audit log is the source of truth (the project's history index is filled from
// it in the background, may lag, and keeps one row per request, so it could not show a request
// logged twice). Reading it wakes a sleeping session, which is what bounds the check at fleet
// scale: every woken actor stays awake ~30 s and costs the engine its bookkeeping meanwhile (1,000
// sessions read after the work would be a second wake herd of ~5 minutes, docs/scale.md). So a
// session's log is read as soon as its agent is done with it (its last call answered, its local
// decisions recorded), while its actor is still awake: nothing writes to that log afterwards (a
// late approver's reply is refused, `already_resolved`, and changes nothing). Sessions not read
// then (a read that failed, no actor id) are read at the end, by actor id with stateless actions
// (session-reader.ts), most recently active first (still awake: no wake), under the SDK's adaptive
// creation bound (a wake is an actor start in the engine, as a creation is).
import { createWardenClient } from "@warden/client";
import { CreationGate } from "../../packages/client/src/creation-gate.ts";
import type { LoadTarget } from "./embedded-server.ts";
import type { AgentRecord } from "./run-load.ts";
import { type AuditEntry, createSessionReader } from "./session-reader.ts";

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
  /** Sessions whose log was read as soon as their agent was done, while awake (the rest at the end). */
  readonly read_when_done: number;
  /** True when nothing was lost, doubled, mismatched or left pending. */
  readonly ok: boolean;
}

/** How far the check is, for progress lines. */
export interface AuditProgress {
  sessionsRead: number;
  /** Of those, read as soon as their agent was done (no wake). */
  readEarly: number;
  sessionsTotal: number;
  unreadable: number;
  /** Sessions read at once now (the adaptive bound). */
  bound: number;
}

/** Reads at once: starts like the SDK's creation bound, may grow further (a read is lighter). */
const READ_GATE = { initial: 4, min: 1, max: 32, targetMs: 2_000 };
const PAGE = 500;
/** Attempts per page: a read is idempotent, and a session waking under load may miss one. */
const ATTEMPTS = 3;

/** The agents' side of a run, as the check needs it. */
export interface AuditRun {
  readonly tag: string;
  /** Each session's actor id, as its agent's connection learned it (read by key without one). */
  readonly actorIds: ReadonlyMap<string, string>;
}

/**
 * Reads sessions' audit logs and the inbox, and compares them with the agents' records: `done`
 * as each agent finishes, `finish` at the end for every session not read yet.
 */
export function createAuditCheck(
  target: LoadTarget,
  run: AuditRun,
  progress: AuditProgress = newAuditProgress(),
) {
  const token = target.approverTokens[0]!;
  const reader = createWardenClient({
    endpoint: target.endpoint,
    project: target.project,
    token,
    fastPath: "off",
  });
  const byId = createSessionReader(target.endpoint, token);
  const gate = new CreationGate(READ_GATE);
  const tally = { audited: 0, lost: 0, doubled: 0, mismatched: 0, withoutAnswer: 0 };
  /** Sessions judged already. */
  const judged = new Set<string>();
  const dispose = async () => {
    await byId.dispose().catch(() => undefined);
    await reader.dispose().catch(() => undefined);
  };

  /** Every entry of one session's log, page by page. */
  const readLog = async (sessionId: string): Promise<AuditEntry[]> => {
    const actorId = run.actorIds.get(sessionId);
    const session = actorId === undefined ? reader.session(sessionId) : undefined;
    const page = async (query: { limit: number; before?: number }) => {
      if (session) return session.getHistory(query);
      for (let attempt = 1; ; attempt++) {
        try {
          return await byId.page(actorId!, query);
        } catch (error) {
          if (attempt >= ATTEMPTS) throw error;
        }
      }
    };
    const entries: AuditEntry[] = [];
    try {
      let before: number | undefined;
      do {
        const got = await page({ limit: PAGE, ...(before !== undefined ? { before } : {}) });
        entries.push(...got.entries);
        before = got.nextBefore ?? undefined;
      } while (before !== undefined);
      return entries;
    } finally {
      await session?.dispose().catch(() => undefined);
    }
  };

  /** Judges one session as soon as its log is read; an unreadable log loses all its requests. */
  const judge = (
    sessionId: string,
    records: readonly AgentRecord[],
    entries: readonly AuditEntry[] | undefined,
  ) => {
    judged.add(sessionId);
    progress.sessionsRead++;
    if (entries === undefined) progress.unreadable++;
    const logged = new Map<string, { count: number; outcome: string }>();
    for (const entry of entries ?? []) {
      const seen = logged.get(entry.requestId);
      logged.set(entry.requestId, {
        count: (seen?.count ?? 0) + 1,
        outcome: entry.resolution?.outcome ?? "none",
      });
    }
    for (const record of records) {
      const entry = logged.get(record.requestId);
      if (record.outcome === "error") {
        if (entry) tally.withoutAnswer++;
      } else if (!entry) tally.lost++;
      else if (entry.outcome !== record.outcome) tally.mismatched++;
    }
    tally.audited += logged.size;
    for (const e of logged.values()) if (e.count > 1) tally.doubled++;
  };

  return {
    /**
     * A session whose agent is done (every call answered, every local decision recorded): its log
     * is read now, while its actor is awake. A failed read leaves it to `finish`.
     */
    async done(sessionId: string, records: readonly AgentRecord[]): Promise<void> {
      if (judged.has(sessionId)) return;
      const entries = await readLog(sessionId).catch(() => undefined);
      if (entries === undefined || judged.has(sessionId)) return;
      progress.readEarly++;
      judge(sessionId, records, entries);
    },

    /** Reads every session not read yet and the inbox; the verdict on the whole run. */
    async finish(
      records: readonly AgentRecord[],
      wins: ReadonlyMap<string, number>,
      /** Session ids, most recently active first. */
      order: readonly string[],
    ): Promise<AuditCheck> {
      const bySession = new Map<string, AgentRecord[]>();
      for (const record of records) {
        const list = bySession.get(record.sessionId) ?? [];
        list.push(record);
        bySession.set(record.sessionId, list);
      }
      const sessions = [
        ...new Set([...order.filter((s) => bySession.has(s)), ...bySession.keys()]),
      ];
      progress.sessionsTotal = sessions.length;
      try {
        await Promise.all(
          sessions
            .filter((sessionId) => !judged.has(sessionId))
            .map((sessionId) =>
              gate
                .run(() => {
                  progress.bound = gate.limit;
                  return readLog(sessionId);
                })
                .then(
                  (entries) => judge(sessionId, bySession.get(sessionId)!, entries),
                  () => judge(sessionId, bySession.get(sessionId)!, undefined),
                ),
            ),
        );
        const pendingLeft = await reader
          .inbox()
          .list()
          .then(
            (pending) => pending.filter((r) => r.requestId.startsWith(run.tag)).length,
            () => Number.NaN,
          );
        const approvalsDoubled = [...wins.values()].filter((n) => n > 1).length;
        const unreadable = progress.unreadable;
        return {
          answered: records.filter((r) => r.outcome !== "error").length,
          audited: tally.audited,
          lost: tally.lost,
          doubled: tally.doubled,
          mismatched: tally.mismatched,
          approvals_doubled: approvalsDoubled,
          pending_left: pendingLeft,
          audited_without_answer: tally.withoutAnswer,
          unreadable_sessions: unreadable,
          read_when_done: progress.readEarly,
          ok:
            unreadable === 0 &&
            tally.lost === 0 &&
            tally.doubled === 0 &&
            tally.mismatched === 0 &&
            approvalsDoubled === 0 &&
            pendingLeft === 0,
        };
      } finally {
        await dispose();
      }
    },

    dispose,
  };
}

export const newAuditProgress = (): AuditProgress => ({
  sessionsRead: 0,
  readEarly: 0,
  sessionsTotal: 0,
  unreadable: 0,
  bound: 0,
});
