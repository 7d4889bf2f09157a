import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyDocument,
  PolicyError,
} from "@warden/rules";

type Entry = { readonly policy: CompiledPolicy } | { readonly error: PolicyError };

/** Serialises a JSON value with object keys sorted, so equal documents give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Compiles policy documents as the project tier, remembering the last `limit` results (faults
 * too) by canonical JSON, so a stream that repeats a policy compiles it once.
 */
export class PolicyCache {
  readonly #entries = new Map<string, Entry>();
  #compiles = 0;

  constructor(readonly limit = 256) {}

  /** How many documents were actually compiled. */
  get compiles(): number {
    return this.#compiles;
  }

  /** The compiled policy for a document; throws its `PolicyError` when it does not compile. */
  compile(document: Record<string, unknown>): CompiledPolicy {
    const key = canonicalJson(document);
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
    } else {
      entry = this.#compileEntry(document);
      if (this.#entries.size >= this.limit) {
        this.#entries.delete(this.#entries.keys().next().value!);
      }
    }
    this.#entries.set(key, entry);
    if ("error" in entry) throw entry.error;
    return entry.policy;
  }

  #compileEntry(document: Record<string, unknown>): Entry {
    this.#compiles++;
    try {
      return { policy: compilePolicy({ project: document as PolicyDocument }) };
    } catch (error) {
      if (error instanceof PolicyError) return { error };
      throw error;
    }
  }
}
