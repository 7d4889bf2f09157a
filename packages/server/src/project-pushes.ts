// The project's outbox of rule changes: the sessions that loaded its rules and have not yet been
// told of the latest change. It lives in the project's state and is saved in the same save as the
// change, so a push that failed (the session's runner down, every retry spent) or that a crash cut
// short is sent again (by the project's alarm) until the session has taken it: no session keeps
// deciding with rules the project has since changed because one push was lost.

/** What the project's state holds for its outbox. */
export interface RulePushState {
  /** Session id → the round of the change it has not been told of yet. */
  rulePushes: Record<string, number>;
  /** The round of the latest change (increases with every change). */
  rulePushRound: number;
  /** Failed pushes in a row since the last that succeeded: spaces the project's retries. */
  rulePushFailures: number;
}

/** The first retry of a failed push, and the longest wait between two. */
const FIRST_RETRY_MS = 1_000;
const LAST_RETRY_MS = 5 * 60_000;

/** A rule change: every session in `sessionIds` is to be told of it (a new round). */
export function enqueueRulePushes(state: RulePushState, sessionIds: readonly string[]): number {
  state.rulePushRound += 1;
  for (const id of sessionIds) state.rulePushes[id] = state.rulePushRound;
  return state.rulePushRound;
}

/**
 * A session took the push of `round`: it leaves the outbox unless a later change arrived
 * meanwhile (that one it may not have read yet).
 */
export function settleRulePush(state: RulePushState, sessionId: string, round: number): void {
  if (state.rulePushes[sessionId] === round) delete state.rulePushes[sessionId];
  state.rulePushFailures = 0;
}

/** A push failed: when the project sends the outbox again (doubling, up to LAST_RETRY_MS). */
export function nextRulePushAt(state: RulePushState, now: number): number {
  state.rulePushFailures += 1;
  const exponent = Math.min(state.rulePushFailures - 1, 20);
  return now + Math.min(FIRST_RETRY_MS * 2 ** exponent, LAST_RETRY_MS);
}

/**
 * The sessions a project forgets (oldest read first) to keep at most `max`: each must be told
 * once more that its rules are out of date, since no later change will reach it.
 */
export function evictRuleSessions(ruleSessions: Record<string, number>, max: number): string[] {
  const ids = Object.entries(ruleSessions).sort((a, b) => b[1] - a[1]);
  const evicted = ids.slice(max).map(([id]) => id);
  for (const id of evicted) delete ruleSessions[id];
  return evicted;
}
