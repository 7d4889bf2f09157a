import {
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  type EvaluationContext,
  evaluate,
  type ParsedPolicyDocument,
  type PolicySettings,
  type Tier,
} from "@warden/rules";
import { policyDecision } from "@warden/server/protocol";
import type { AgentDecision } from "./decision.ts";

/**
 * How the SDK may decide without asking the server:
 * - `"on"` (default): rule-settled denies always, rule-settled allows while the policy is fresh
 *   (see `LocalPolicy.fresh`) and has no budgets; everything else asks the server.
 * - `"deny-only"`: only rule-settled denies are local.
 * - `"off"`: every call goes to the server.
 */
export type FastPathMode = "on" | "deny-only" | "off";

/** What `getPolicy` returns. */
export interface PolicySnapshot {
  readonly version: string;
  readonly documents: Readonly<Partial<Record<Tier, ParsedPolicyDocument>>>;
  /** The server's merged settings: what the documents alone do not say (its files' paths). */
  readonly settings: PolicySettings;
  readonly context: EvaluationContext;
}

/**
 * Compiles a snapshot into the policy the server decides with, or undefined when the SDK cannot
 * reproduce it (then nothing is decided locally). The documents do not carry everything: the
 * server protects its own policy files (absolute paths, in `settings.protectedPaths`), which a
 * compile of the bare documents misses, so `bypassPermissions` allowed a write to the policy file
 * locally that the server asks about. Those paths are added to the global tier; then the version
 * (a hash of the documents, so a document changed in transit or read by another version of
 * `@warden/rules` is caught) and every setting must be the server's.
 */
export function compileSnapshot(snapshot: PolicySnapshot): CompiledPolicy | undefined {
  try {
    const plain = compilePolicy({ ...snapshot.documents });
    if (plain.version !== snapshot.version || snapshot.settings === undefined) return undefined;
    const known = new Set(plain.settings.protectedPaths);
    const extra = snapshot.settings.protectedPaths.filter((path) => !known.has(path));
    const compiled =
      extra.length === 0
        ? plain
        : compilePolicy({
            ...snapshot.documents,
            global: {
              ...(snapshot.documents.global ?? { rules: [] }),
              protected_paths: [...(snapshot.documents.global?.protected_paths ?? []), ...extra],
            },
          });
    return sameSettings(compiled.settings, snapshot.settings) ? compiled : undefined;
  } catch {
    return undefined;
  }
}

/** Equal settings; protected paths compare as sets (their order decides nothing). */
function sameSettings(local: PolicySettings, server: PolicySettings): boolean {
  const canonical = (settings: PolicySettings) =>
    JSON.stringify({
      ...settings,
      protectedPaths: [...new Set(settings.protectedPaths)].sort(),
      forbiddenModes: [...settings.forbiddenModes].sort(),
    });
  return canonical(local) === canonical(server);
}

/** A decision made locally, with the policy version that made it. */
export interface LocalDecision {
  readonly decision: AgentDecision;
  readonly version: string;
}

/**
 * The session's compiled policy, held by the SDK. It is fresh from the moment a snapshot fetched
 * over an open connection is installed until that connection drops or the server announces a
 * change (`rulesChanged`); a stale policy decides nothing but denies.
 */
export class LocalPolicy {
  #compiled: CompiledPolicy | undefined;
  #version: string | undefined;
  #context: EvaluationContext = {};
  #fresh = false;
  /** Bumped on every invalidation, so that a snapshot fetched before one is not installed as fresh. */
  #epoch = 0;

  constructor(readonly mode: FastPathMode) {}

  get version(): string | undefined {
    return this.#version;
  }

  get fresh(): boolean {
    return this.#fresh;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Marks the policy stale (a change was announced, or the connection dropped). */
  invalidate(): void {
    this.#epoch += 1;
    this.#fresh = false;
  }

  /** Installs a snapshot; it is fresh only if nothing invalidated the policy since `epoch`. */
  install(snapshot: PolicySnapshot, epoch: number): void {
    if (snapshot.version !== this.#version) {
      // A snapshot the SDK cannot reproduce leaves nothing to decide with: every call goes to the actor.
      this.#compiled = compileSnapshot(snapshot);
      this.#version = snapshot.version;
    }
    this.#context = {
      ...(snapshot.context.cwd ? { cwd: snapshot.context.cwd } : {}),
      ...(snapshot.context.home ? { home: snapshot.context.home } : {}),
    };
    this.#fresh = epoch === this.#epoch;
  }

  /** The local decision for a call, or undefined when the server must decide. */
  decide(toolName: string, input: Record<string, unknown>): LocalDecision | undefined {
    const compiled = this.#compiled;
    const version = this.#version;
    if (this.mode === "off" || !compiled || version === undefined) return undefined;
    // Budgets depend on usage the server counts: leave every call of a budgeted policy to it.
    if (compiled.settings.maxTurns !== undefined || compiled.settings.maxCostUsd !== undefined)
      return undefined;
    const decision: Decision = evaluate(compiled, { toolName, input }, this.#context);
    if (
      decision.decision === "deny" ||
      (decision.decision === "allow" && this.mode === "on" && this.#fresh)
    ) {
      return { version, decision: policyDecision(decision, input) };
    }
    return undefined;
  }
}
