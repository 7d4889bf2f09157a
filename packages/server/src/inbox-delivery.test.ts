// The inbox index against a model of how a session's news reaches it: the session's ordered
// delivery loop (session-effects.ts: batches of changes, a sync read when it is sent, a batch
// landing twice when its answer was lost and it was resent) and the project's reconciliations
// (project.ts: note the session's revision, read the session, apply), interleaved in every order
// fast-check tries. The law: once what is in flight has landed, the inbox holds exactly the
// session's pending requests.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  applyInboxChange,
  applyInboxSync,
  applyReconciliation,
  emptyInbox,
  type InboxChange,
  type InboxState,
  sessionRevision,
} from "./inbox.ts";
import type { PermissionRequest, Resolution } from "./types.ts";

const SESSION = "s1";

type Step =
  | { readonly kind: "open" }
  | { readonly kind: "resolve"; readonly pick: number }
  /** The session restarts: queued changes and the message in flight are lost; a sync is due. */
  | { readonly kind: "wake" }
  /** The delivery loop moves: sends the next message, or the one in flight lands. */
  | { readonly kind: "deliver" }
  /** The last batch lands again (its answer was lost, the loop resent it). */
  | { readonly kind: "resend" }
  /** A reconciliation moves (note the revision, read, apply), or a new one starts. */
  | { readonly kind: "reconcile"; readonly pick: number };

type Message =
  | { readonly kind: "batch"; readonly changes: InboxChange[] }
  | { readonly kind: "sync"; readonly pending: PermissionRequest[] };

interface Reconciliation {
  readonly revision: number;
  read?: PermissionRequest[];
}

class World {
  readonly index: InboxState = emptyInbox();
  /** The session's truth. */
  readonly pending = new Map<string, PermissionRequest>();
  #next = 0;
  #now = 0;
  #queue: InboxChange[] = [];
  #syncDue = false;
  #inFlight: Message | undefined;
  #landed: InboxChange[] | undefined;
  readonly #reconciliations: Reconciliation[] = [];

  run(step: Step) {
    this.#now += 1;
    switch (step.kind) {
      case "open": {
        const permissionId = `p${this.#next++}`;
        const request = { sessionId: SESSION, permissionId, requestId: `r-${permissionId}` };
        this.pending.set(permissionId, request as PermissionRequest);
        this.#queue.push({ kind: "pending", ...request, request: request as PermissionRequest });
        return;
      }
      case "resolve": {
        const ids = [...this.pending.keys()];
        const permissionId = ids[step.pick % Math.max(ids.length, 1)];
        if (permissionId === undefined) return;
        this.pending.delete(permissionId);
        const resolution = { outcome: "deny" } as Resolution;
        this.#queue.push({ kind: "resolved", sessionId: SESSION, permissionId, resolution });
        return;
      }
      case "wake":
        this.#queue = [];
        this.#inFlight = undefined;
        this.#landed = undefined;
        this.#syncDue = true;
        return;
      case "deliver":
        this.#deliver();
        return;
      case "resend":
        if (this.#landed && !this.#inFlight) this.#land({ kind: "batch", changes: this.#landed });
        return;
      case "reconcile": {
        const i = step.pick % (this.#reconciliations.length + 1);
        const r = this.#reconciliations[i];
        if (!r) this.#reconciliations.push({ revision: sessionRevision(this.index, SESSION) });
        else if (!r.read) r.read = [...this.pending.values()];
        else this.#apply(i);
        return;
      }
    }
  }

  /** Lets everything in flight land, then every reconciliation under way finish. */
  settle() {
    while (this.busy) this.#deliver();
    while (this.#reconciliations.length > 0) {
      const r = this.#reconciliations[0]!;
      r.read ??= [...this.pending.values()];
      this.#apply(0);
    }
  }

  get busy(): boolean {
    return this.#inFlight !== undefined || this.#syncDue || this.#queue.length > 0;
  }

  get indexed(): string[] {
    return Object.values(this.index.pending)
      .map((r) => r.permissionId)
      .sort();
  }

  #deliver() {
    if (this.#inFlight) {
      this.#land(this.#inFlight);
      this.#inFlight = undefined;
    } else if (this.#syncDue) {
      // A sync covers every change queued so far: the state it reads already holds them.
      this.#syncDue = false;
      this.#queue = [];
      this.#landed = undefined;
      this.#inFlight = { kind: "sync", pending: [...this.pending.values()] };
    } else if (this.#queue.length > 0) {
      this.#landed = undefined;
      this.#inFlight = { kind: "batch", changes: this.#queue };
      this.#queue = [];
    }
  }

  #land(message: Message) {
    if (message.kind === "sync") {
      applyInboxSync(this.index, SESSION, message.pending, this.#now);
      return;
    }
    for (const change of message.changes) applyInboxChange(this.index, change, this.#now);
    this.#landed = message.changes;
  }

  #apply(i: number) {
    const [r] = this.#reconciliations.splice(i, 1);
    applyReconciliation(this.index, SESSION, r!.read!, r!.revision, this.#now);
  }
}

const StepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: "open" } as const) },
  { weight: 2, arbitrary: fc.nat(9).map((pick) => ({ kind: "resolve", pick }) as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "wake" } as const) },
  { weight: 4, arbitrary: fc.constant({ kind: "deliver" } as const) },
  { weight: 1, arbitrary: fc.constant({ kind: "resend" } as const) },
  { weight: 3, arbitrary: fc.nat(2).map((pick) => ({ kind: "reconcile", pick }) as const) },
);

function replay(steps: readonly Step[]): World {
  const world = new World();
  for (const step of steps) world.run(step);
  world.settle();
  return world;
}

describe("the inbox converges on the session, in whatever order reports and checks land", () => {
  // Found by the client durability test: the request never reached the inbox.
  test("a sync read before a reconciliation and landing after it keeps a request opened between", () => {
    const world = replay([
      { kind: "open" }, // p0, before the crash
      { kind: "deliver" },
      { kind: "deliver" },
      { kind: "wake" }, // the server restarts: the session syncs
      { kind: "deliver" }, // the sync is read: p0 only
      { kind: "reconcile", pick: 0 }, // the project restarts too and reconciles
      { kind: "open" }, // p1, asked while the server was down, lands now
      { kind: "reconcile", pick: 0 }, // the reconciliation reads p0, p1
      { kind: "reconcile", pick: 0 }, // ...and applies it
      { kind: "deliver" }, // the old sync lands
      { kind: "deliver" }, // p1's own report is sent
      { kind: "deliver" }, // ...and lands
    ]);
    expect(world.indexed).toEqual(["p0", "p1"]);
  });

  test("a reconciliation's read that a report overtook is not applied", () => {
    const world = replay([
      { kind: "open" },
      { kind: "deliver" },
      { kind: "deliver" },
      { kind: "reconcile", pick: 0 }, // starts
      { kind: "reconcile", pick: 0 }, // reads p0
      { kind: "resolve", pick: 0 },
      { kind: "deliver" },
      { kind: "deliver" }, // p0 settled lands
      { kind: "reconcile", pick: 0 }, // the read still holds p0: discarded
    ]);
    expect(world.indexed).toEqual([]);
  });

  test("of two reconciliations under way, the one that read first does not undo the other", () => {
    const world = replay([
      { kind: "reconcile", pick: 0 }, // A starts
      { kind: "reconcile", pick: 1 }, // B starts
      { kind: "reconcile", pick: 1 }, // B reads: nothing pending
      { kind: "open" },
      { kind: "reconcile", pick: 0 }, // A reads p0
      { kind: "reconcile", pick: 0 }, // A applies: p0 in the inbox
      { kind: "reconcile", pick: 0 }, // B's older read is discarded
    ]);
    expect(world.indexed).toEqual(["p0"]);
  });

  test("any interleaving", () => {
    fc.assert(
      fc.property(fc.array(StepArb, { maxLength: 60 }), (steps) => {
        const world = replay(steps);
        expect(world.indexed).toEqual([...world.pending.keys()].sort());
      }),
      { numRuns: 20_000 },
    );
  });
});
