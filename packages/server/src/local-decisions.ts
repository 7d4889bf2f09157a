// Local decisions reported by the agent's SDK, recorded in one pure step: each entry is decided
// again with the session's current rules and stored resolved (for the audit log and usage). No
// hook, no broadcast, no inbox, no timer: a reported call was already run or refused by the agent.
// A batch is written in one commit: its rows go to the audit log before the actor answers.
import { type CompiledPolicy, type Decision, evaluate } from "@warden/rules";
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import { type Effect, type Transition, withUsage } from "./lifecycle.ts";
import {
  type LocalDecisionsRecorded,
  type LocalMismatch,
  MAX_MESSAGE_BYTES,
  policyDecision,
} from "./protocol.ts";
import { draftRecord, policyResolution, type RequestRecord } from "./request-record.ts";
import type { LocalDecision } from "./schema.ts";
import { decisionContext, type SessionState, sameJson } from "./session-state.ts";
import type { Resolution, StoredRequest } from "./types.ts";

/**
 * A batch as it came over the wire. The SDK sends its JSON text: RivetKit carries a string as it
 * is, where it walks and re-encodes an array value by value (in the MCP gateway's profile, ~35 µs
 * of the agent's CPU per entry, the largest cost of a locally decided call after the pipes).
 * Other callers may send the array. Either way, what comes out is checked like any input.
 */
export function batchFromWire(entries: unknown): unknown {
  if (typeof entries !== "string") return entries;
  if (entries.length > MAX_MESSAGE_BYTES)
    fail("invalid_input", "recordLocalDecisions: the batch is larger than a message may be");
  try {
    return JSON.parse(entries);
  } catch {
    return fail("invalid_input", "recordLocalDecisions: the batch is not JSON");
  }
}

/** A call of the caller's already known under a request id (in state, in flight, or in the log). */
export type KnownCall = Pick<StoredRequest, "toolName" | "input">;

/**
 * Records a batch of local decisions. An entry whose request id the caller already used for the
 * same call is a resend (`duplicates`, not counted again); for another call, a `conflicts` entry
 * (not recorded). Other callers' ids are not looked at. Every other entry becomes a resolved record: the
 * server's own decision when it agrees with the SDK's, otherwise a deny with reason
 * `local_mismatch` (so that a reported "allow" the rules do not make never counts as an allow:
 * no cost, and a retry of its request id is told deny). Each counts as a turn.
 */
export function recordLocal(
  state: SessionState,
  input: {
    readonly principal: Principal;
    readonly entries: readonly LocalDecision[];
    readonly policy: CompiledPolicy;
    /** A call of this caller's known outside the state (in flight, or in the audit log). */
    readonly known: (requestId: string) => KnownCall | undefined;
    readonly newPermissionId: (seq: number) => string;
    readonly now: number;
  },
): Transition & { readonly answer: LocalDecisionsRecorded } {
  const { principal, policy, now } = input;
  // Only the caller's own requests: request ids are per requester (see `findByRequestId`), so
  // another agent's use of an id is neither a duplicate nor a conflict, and is never told.
  const inState = new Map<string, KnownCall>(
    state.requests.filter((r) => r.requestedBy === principal.id).map((r) => [r.requestId, r]),
  );
  const duplicates: string[] = [];
  const conflicts: string[] = [];
  const mismatches: LocalMismatch[] = [];
  const records: RequestRecord[] = [];
  let next = state;
  for (const entry of input.entries) {
    const known = inState.get(entry.requestId) ?? input.known(entry.requestId);
    if (known) {
      const same = known.toolName === entry.toolName && sameJson(known.input, entry.input);
      (same ? duplicates : conflicts).push(entry.requestId);
      continue;
    }
    const context = decisionContext(next);
    const decision = evaluate(
      policy,
      {
        toolName: entry.toolName,
        input: entry.input,
        ...(entry.cost !== undefined ? { cost: entry.cost } : {}),
      },
      context,
    );
    const seq = next.seq + 1;
    const draft = draftRecord({
      scope: { projectId: state.projectId, sessionId: state.sessionId, context },
      principal,
      call: entry,
      decision,
      suggestions: [],
      seq,
      permissionId: input.newPermissionId(seq),
      timeoutMs: 0,
      now,
    });
    const record: RequestRecord = {
      ...draft,
      status: "resolved",
      resolution: localResolution(entry, decision, principal, now),
    };
    if (decision.decision !== entry.decision) {
      mismatches.push({
        requestId: entry.requestId,
        local: entry.decision,
        server: decision.decision === "ask" ? "ask" : policyDecision(decision, entry.input),
      });
    }
    inState.set(entry.requestId, record);
    records.push(record);
    next = withUsage(
      { ...next, seq, usage: { ...next.usage, turns: next.usage.turns + 1 } },
      record,
    );
  }
  if (records.length > 0) next = { ...next, requests: [...state.requests, ...records] };
  // One durable write per batch, as for a call the actor's rules settle: the audit rows (with the
  // usage counters, which a wake recovers from the log). Saving the state with the records first
  // and logging them after cost a second engine write per batch and a third for the state's
  // save once they left it.
  const effects: Effect[] = records.length > 0 ? [{ type: "audit" }] : [];
  return {
    state: next,
    effects,
    answer: {
      recorded: records.length,
      duplicates,
      conflicts,
      mismatches,
      policyVersion: policy.version,
    },
  };
}

/** The resolution of a reported call: the server's decision if it agrees, a deny if not. */
function localResolution(
  entry: LocalDecision,
  decision: Decision,
  principal: Principal,
  now: number,
): Resolution {
  const local = {
    behavior: entry.decision,
    policyVersion: entry.policyVersion,
    decidedAt: entry.decidedAt,
    server: decision.decision,
  };
  if (decision.decision === entry.decision)
    return { ...policyResolution(decision, entry.input, now), local };
  const server = decision.decision === "ask" ? "would ask a human" : `${decision.decision}s it`;
  return {
    outcome: "deny",
    reason: "local_mismatch",
    message: `The agent's SDK ${entry.decision === "allow" ? "allowed" : "denied"} this call locally (policy ${entry.policyVersion}); the session's current policy ${server}.`,
    input: entry.input,
    decidedBy: { kind: "agent", id: principal.id },
    resolvedAt: now,
    local,
  };
}
