import {
  type CompiledPolicy,
  compilePolicy,
  type Mode,
  type PolicyDocument,
  PolicyError,
  type PolicySource,
  policySource,
} from "@warden/rules";
import { fail } from "./errors.ts";
import type { SessionRule } from "./types.ts";

/** The server's policy files: the global tier and one project tier per project. */
export interface ServerPolicy {
  readonly global?: PolicySource;
  /** The project tier for a project, if it has a policy file. */
  project(projectId: string): PolicySource | undefined;
}

/** What a session contributes on top of the files. */
export interface SessionTiers {
  readonly projectId: string;
  /** "Always" rules learned for the whole project. */
  readonly projectRules: readonly SessionRule[];
  readonly sessionRules: readonly SessionRule[];
  readonly mode: Mode | null;
}

const toEntry = (rule: SessionRule) => ({
  tool: rule.tool,
  behavior: rule.behavior,
  ...(rule.message !== undefined ? { message: rule.message } : {}),
});

/**
 * Compiles a session's policy: the global file, the project file plus the project's learned
 * rules, and the session's own rules and mode. Throws `PolicyError` when they do not compile.
 */
export function compileSessionPolicy(server: ServerPolicy, tiers: SessionTiers): CompiledPolicy {
  const file = server.project(tiers.projectId);
  const fileDocument = (file?.document ?? {}) as PolicyDocument & {
    rules?: PolicyDocument["rules"];
  };
  const projectDocument: PolicyDocument = {
    ...fileDocument,
    rules: [...(fileDocument.rules ?? []), ...tiers.projectRules.map(toEntry)],
  };
  // Spreading a source keeps it a source (and its file); the learned rules follow the file's.
  const project: PolicySource | undefined = file
    ? { ...file, document: projectDocument }
    : tiers.projectRules.length > 0
      ? policySource(projectDocument)
      : undefined;
  const session: PolicyDocument = {
    ...(tiers.mode ? { mode: tiers.mode } : {}),
    rules: tiers.sessionRules.map(toEntry),
  };
  return compilePolicy({
    ...(server.global ? { global: server.global } : {}),
    ...(project ? { project } : {}),
    session,
  });
}

/** Compiles, or fails with a typed error (`mode_forbidden` or `invalid_rule`) naming the fault. */
export function compileOrFail(server: ServerPolicy, tiers: SessionTiers): CompiledPolicy {
  try {
    return compileSessionPolicy(server, tiers);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    const code = error.code === "mode_forbidden" ? "mode_forbidden" : "invalid_rule";
    return fail(code, error.message, { policyError: error.code, location: { ...error.location } });
  }
}
