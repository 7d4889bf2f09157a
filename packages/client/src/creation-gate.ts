// How many sessions one client creates at once. Creating an actor is the engine's most expensive
// operation (~120 storage transactions, docs/scale.md), and a fixed number in flight either
// starves a quiet engine or buries a loaded one (50 at once: creations timed out by the dozen).
// So the bound adapts, as TCP's congestion window does: it doubles per round until a creation is
// slow or fails, then grows by one per bound's worth of creations answered within the target
// latency, and halves when one is slow or fails, at most once per round (creations begun before
// the last cut do not cut again).
import { isTransient } from "./errors.ts";

/** The gate's settings. */
export interface CreationGateOptions {
  /** Creations at once to begin with. */
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** A creation answered later than this (ms) counts as a sign of overload. */
  readonly targetMs: number;
}

export const CREATION_GATE: CreationGateOptions = { initial: 4, min: 1, max: 16, targetMs: 2_000 };

/** The adaptive bound: a value, changed only by `adjust`. */
export interface GateBound {
  /** Creations allowed at once; fractional while it grows (in flight: `Math.floor`). */
  readonly limit: number;
  /** When the bound was last cut: slow answers to creations begun before then are not counted again. */
  readonly cutAt: number;
}

/** One creation's outcome: when it began, how long it took, and whether it succeeded. */
export interface CreationSample {
  readonly startedAt: number;
  readonly ms: number;
  readonly ok: boolean;
}

/** The bound after one creation's answer. Pure. */
export function adjust(
  bound: GateBound,
  sample: CreationSample,
  options: CreationGateOptions,
  now: number,
): GateBound {
  const overloaded = !sample.ok || sample.ms > options.targetMs;
  if (!overloaded) {
    // Until the first sign of overload the bound doubles per round (one more per fast answer),
    // as TCP's slow start does; after it, it grows by one per round.
    const step = bound.cutAt === Number.NEGATIVE_INFINITY ? 1 : 1 / Math.floor(bound.limit);
    return { ...bound, limit: Math.min(options.max, bound.limit + step) };
  }
  if (sample.startedAt < bound.cutAt) return bound;
  return { limit: Math.max(options.min, Math.floor(bound.limit / 2)), cutAt: now };
}

/** Runs creations under the adaptive bound; the rest wait their turn, in order. */
export class CreationGate {
  #bound: GateBound;
  #inFlight = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly options: CreationGateOptions = CREATION_GATE,
    readonly now: () => number = () => performance.now(),
  ) {
    this.#bound = { limit: options.initial, cutAt: Number.NEGATIVE_INFINITY };
  }

  /** Creations allowed at once now. */
  get limit(): number {
    return Math.floor(this.#bound.limit);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Runs `create` once a slot is free. `signal` withdraws a creation still waiting for its slot:
   * it then fails with the signal's reason, took no slot and counts for nothing in the bound.
   */
  async run<T>(create: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    // A slot is taken here, or handed over (already counted) by a creation that ends.
    if (this.#inFlight < this.limit) this.#inFlight += 1;
    else await this.#turn(signal);
    const startedAt = this.now();
    // A refusal (a bad token, a malformed key) is an answer, not a sign of overload.
    let ok = true;
    try {
      return await create();
    } catch (error) {
      ok = !isTransient(error);
      throw error;
    } finally {
      const now = this.now();
      this.#bound = adjust(this.#bound, { startedAt, ms: now - startedAt, ok }, this.options, now);
      this.#inFlight -= 1;
      while (this.#waiting.length > 0 && this.#inFlight < this.limit) {
        this.#inFlight += 1;
        this.#waiting.shift()!();
      }
    }
  }

  /** Waits for a slot handed over by a creation that ends, unless `signal` withdraws the wait. */
  #turn(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const handed = () => {
        signal?.removeEventListener("abort", withdrawn);
        resolve();
      };
      const withdrawn = () => {
        const at = this.#waiting.indexOf(handed);
        if (at === -1) return;
        this.#waiting.splice(at, 1);
        reject(signal?.reason);
      };
      this.#waiting.push(handed);
      signal?.addEventListener("abort", withdrawn, { once: true });
    });
  }
}
