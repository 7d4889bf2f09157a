// Shared by the adapters whose frameworks pause a run for approval (AI SDK, OpenAI Agents SDK):
// a request either settles at once (rules, hook) or waits for a human, and the framework wants to
// know which before it decides whether to pause.
import type { PermissionRequest } from "@warden/server";
import type { PermissionAsk, WardenSession } from "../session.ts";

/** What `requestPermission` resolves with. */
export type Decision = Awaited<ReturnType<WardenSession["requestPermission"]>>;

/** A request with the framework's tool-call id as its idempotency key. */
export interface TrackedAsk extends PermissionAsk {
  readonly requestId: string;
}

/** Warden's ids: letters, digits and `_ . : @ / -`, at most 200 characters. */
const REQUEST_ID = /^[\w.:@/-]{1,200}$/;

/**
 * The framework's tool-call id when Warden accepts it as a request id; else its hex encoding, or
 * for a long one a SHA-256 digest, so that two calls never share a request.
 */
export async function toRequestId(id: string): Promise<string> {
  if (REQUEST_ID.test(id)) return id;
  const hex = (bytes: Uint8Array) =>
    [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const bytes = new TextEncoder().encode(id);
  if (bytes.length <= 95) return `hex:${hex(bytes)}`;
  return `sha256:${hex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))}`;
}

const MAX_TRACKED = 1_000;

/**
 * Starts Warden requests and tells whether each settled at once or waits for a human. A request
 * counts as waiting once the session reports it pending (a `permissionRequest` event, or the list
 * of pending requests on subscribing), so rule and hook decisions are never taken for waits.
 */
export class DecisionTracker {
  readonly #decisions = new Map<string, Promise<Decision>>();
  readonly #waiting = new Map<string, () => void>();
  readonly #seenPending = new Set<string>();
  #subscription: Promise<() => void> | undefined;

  constructor(readonly session: WardenSession) {}

  /** Asks Warden and resolves with the decision, or with `"pending"` once humans must decide. */
  async start(ask: TrackedAsk): Promise<Decision | "pending"> {
    // Without the subscription no request ever counts as waiting: the decision is awaited instead.
    await this.#subscribe().catch(() => undefined);
    const pending = new Promise<"pending">((resolve) => {
      if (this.#seenPending.has(ask.requestId)) resolve("pending");
      else this.#waiting.set(ask.requestId, () => resolve("pending"));
    });
    try {
      return await Promise.race([this.decide(ask), pending]);
    } finally {
      this.#waiting.delete(ask.requestId);
    }
  }

  /** The decision for a request, waiting for humans; a request not started here is asked again by id. */
  decide(ask: TrackedAsk): Promise<Decision> {
    let decision = this.#decisions.get(ask.requestId);
    if (!decision) {
      decision = this.session.requestPermission(ask);
      this.#decisions.set(ask.requestId, decision);
      // A failed call may be asked again; a decision stays (retries by id would return it anyway).
      decision.catch(() => this.#decisions.delete(ask.requestId));
      while (this.#decisions.size > MAX_TRACKED) {
        const oldest = this.#decisions.keys().next().value;
        if (oldest === undefined) break;
        this.#decisions.delete(oldest);
      }
    }
    return decision;
  }

  #subscribe(): Promise<() => void> {
    this.#subscription ??= this.session.subscribe({
      onRequest: (request: PermissionRequest) => {
        this.#seenPending.add(request.requestId);
        if (this.#seenPending.size > MAX_TRACKED) {
          const oldest = this.#seenPending.values().next().value;
          if (oldest !== undefined) this.#seenPending.delete(oldest);
        }
        this.#waiting.get(request.requestId)?.();
      },
    });
    this.#subscription.catch(() => {
      this.#subscription = undefined;
    });
    return this.#subscription;
  }

  /** Stops listening for pending requests. */
  async dispose(): Promise<void> {
    const unsubscribe = await this.#subscription?.catch(() => undefined);
    unsubscribe?.();
    this.#subscription = undefined;
  }
}

/** Parses a framework's JSON-encoded tool arguments into an input object (`{ value }` for non-objects). */
export function parseArguments(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { arguments: text };
  }
  return isRecord(value) ? value : { value };
}

/** Wraps a non-object tool input the way Warden expects one (`{ value }`). */
export function toInput(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : { value };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether Warden allowed the call with an input other than the one asked for (an approver's or the hook's edit). */
export function isEdited(decision: Decision, asked: Record<string, unknown>): boolean {
  return decision.behavior === "allow" && !sameJson(decision.input, asked);
}

/**
 * What the model is told when an edited input cannot be applied: approving would run the
 * original call, which nobody approved.
 */
export function editNotApplied(toolName: string, how: string): string {
  return `Warden refused ${toolName}: the approver edited its input, and the edit cannot be applied here (${how}); the original call was not run.`;
}

/** Deep equality of JSON values (tool inputs come from JSON on both sides). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
}
