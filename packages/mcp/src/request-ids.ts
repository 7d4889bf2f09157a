// The request ids a client has used in one MCP session. MCP forbids reusing one ("MUST NOT have
// been previously used by the requestor within the same session"), and a gateway must not take a
// reused id for a new call: a replayed `tools/call` (a captured request sent again, or a proxy
// retrying) would run the tool a second time with no question asked. Ids are kept for the whole
// session, compactly for the usual client (integers counting up: one run), up to a bound for the
// rest; past it the session takes no new request (fail closed: start a new session).
import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

/** Ids kept one by one (strings, and integers outside the run) before the session is full. */
export const MAX_SPARSE_IDS = 16_384;

/** Why a request cannot be taken: its id was used before, or the session holds too many ids. */
export type IdProblem =
  | { readonly kind: "reused"; readonly id: RequestId }
  | { readonly kind: "full" };

/** What the client is told (JSON-RPC's invalid request); nothing of the request was done. */
export function idProblemMessage(problem: IdProblem): string {
  return problem.kind === "reused"
    ? `Invalid Request: the request id ${JSON.stringify(problem.id)} was already used in this session`
    : `Invalid Request: this session has used more than ${MAX_SPARSE_IDS} request ids that are not consecutive integers; start a new session`;
}

export class RequestIdLedger {
  /** Every integer in [#runStart, #runEnd) was used. */
  #runStart = 0;
  #runEnd = 0;
  readonly #sparse = new Set<RequestId>();

  /**
   * Claims all of `ids` (one HTTP body's requests), or none of them and says why: an id used
   * before, twice among them, or a session past `MAX_SPARSE_IDS`.
   */
  claim(ids: readonly RequestId[]): IdProblem | undefined {
    for (const [i, id] of ids.entries()) {
      if (this.#has(id) || ids.indexOf(id) !== i) return { kind: "reused", id };
    }
    if (this.#sparse.size + ids.length > MAX_SPARSE_IDS) return { kind: "full" };
    for (const id of ids) this.#add(id);
    return undefined;
  }

  /** Gives back ids claimed for requests that were refused before anything saw them. */
  release(ids: readonly RequestId[]): void {
    for (const id of ids) {
      if (this.#sparse.delete(id)) continue;
      if (typeof id !== "number" || !this.#inRun(id)) continue;
      // Only the ends of the run can be given back without splitting it; inside, kept as used.
      if (id === this.#runEnd - 1) this.#runEnd -= 1;
      else if (id === this.#runStart) this.#runStart += 1;
    }
  }

  #inRun(id: number): boolean {
    return id >= this.#runStart && id < this.#runEnd;
  }

  #has(id: RequestId): boolean {
    return (typeof id === "number" && this.#inRun(id)) || this.#sparse.has(id);
  }

  #add(id: RequestId): void {
    if (typeof id !== "number" || !Number.isSafeInteger(id)) {
      this.#sparse.add(id);
      return;
    }
    if (this.#runStart === this.#runEnd) {
      this.#runStart = id;
      this.#runEnd = id + 1;
    } else if (id === this.#runEnd) this.#runEnd += 1;
    else if (id === this.#runStart - 1) this.#runStart -= 1;
    else {
      this.#sparse.add(id);
      return;
    }
    // Ids that arrived early join the run once the gap before them is filled.
    while (this.#sparse.delete(this.#runEnd)) this.#runEnd += 1;
    while (this.#sparse.delete(this.#runStart - 1)) this.#runStart -= 1;
  }
}
