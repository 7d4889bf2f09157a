import { isDeepStrictEqual } from "node:util";
import { type PrincipalInput, PrincipalSchema, type Role } from "@warden/server";
import { z } from "zod";
import { StartError } from "./errors.ts";

/** Who a token stands for: the shape `createWarden` takes. */
export const PrincipalConfigSchema = PrincipalSchema;

/** Tokens and their principals, as in the config file and in `WARDEN_TOKENS`. */
export const TokenMapSchema = z.record(z.string().min(1), PrincipalConfigSchema);
export type TokenMap = z.infer<typeof TokenMapSchema>;

/** A secret after `${VAR}` references are resolved, with where it came from (never the value). */
export interface ResolvedSecret {
  readonly value: string;
  /** `config file`, `$VAR`, `WARDEN_TOKENS` or `dev default`. */
  readonly source: string;
  readonly dev: boolean;
}

export interface ResolvedToken extends ResolvedSecret {
  readonly principal: PrincipalInput;
}

const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.+))?\}$/;

/**
 * Resolves a secret written as a literal, `${VAR}` (the value of an environment variable) or
 * `${VAR:-fallback}`, whose fallback is a dev default: used only when `WARDEN_DEV=1`.
 */
export function resolveSecret(
  raw: string,
  where: string,
  env: NodeJS.ProcessEnv,
): ResolvedSecret | undefined {
  if (!raw.includes("${")) return { value: raw, source: "config file", dev: false };
  const match = REFERENCE.exec(raw);
  if (!match) {
    throw new StartError(
      "invalid_config",
      `${where}: a value with "\${" must be a whole \${VAR} or \${VAR:-dev-default} reference`,
    );
  }
  const [, name, fallback] = match as unknown as [string, string, string | undefined];
  const value = env[name];
  if (value) return { value, source: `$${name}`, dev: false };
  if (fallback !== undefined && env.WARDEN_DEV === "1") {
    return { value: fallback, source: "dev default", dev: true };
  }
  const hint = fallback !== undefined ? ` (its dev default is used only with WARDEN_DEV=1)` : "";
  throw new StartError("unset_env", `${where}: the environment variable ${name} is not set${hint}`);
}

/** Merges the file's tokens (references resolved) with `WARDEN_TOKENS`; a token may appear once. */
export function resolveTokens(
  fileTokens: TokenMap,
  env: NodeJS.ProcessEnv,
  where: string,
): ResolvedToken[] {
  const resolved: ResolvedToken[] = [];
  for (const [raw, principal] of Object.entries(fileTokens)) {
    const secret = resolveSecret(raw, `${where}: tokens`, env)!;
    resolved.push({ ...secret, principal });
  }
  if (env.WARDEN_TOKENS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.WARDEN_TOKENS);
    } catch (error) {
      throw new StartError(
        "invalid_config",
        `WARDEN_TOKENS: not JSON (${(error as Error).message})`,
      );
    }
    const result = TokenMapSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      // The first path element is the token itself: name the principal's field only.
      const field = issue.path.slice(1).join(".");
      throw new StartError(
        "invalid_config",
        `WARDEN_TOKENS: ${field ? `${field}: ` : ""}${issue.message}`,
      );
    }
    for (const [value, principal] of Object.entries(result.data)) {
      resolved.push({ value, source: "WARDEN_TOKENS", dev: false, principal });
    }
  }
  const seen = new Map<string, string>();
  for (const token of resolved) {
    const other = seen.get(token.value);
    if (other !== undefined) {
      throw new StartError(
        "duplicate_token",
        `the same token stands for "${other}" and "${token.principal.id}" (from ${token.source}); give each principal its own token`,
      );
    }
    seen.set(token.value, token.principal.id);
  }
  requireOnePrincipalPerId(resolved);
  if (resolved.length === 0) {
    throw new StartError(
      "no_tokens",
      "no tokens configured: add `tokens` to the config file or set WARDEN_TOKENS (Warden never runs open; for the demo, WARDEN_DEV=1 enables the sample config's dev tokens)",
    );
  }
  return resolved;
}

/**
 * An id stands for one principal: requests are owned (`requestedBy`) and decisions logged by id,
 * so two principals with one id would share their requests. Two tokens of the same principal (a
 * rotation) are fine.
 */
function requireOnePrincipalPerId(tokens: readonly ResolvedToken[]): void {
  const byId = new Map<string, ResolvedToken>();
  for (const token of tokens) {
    const principal = PrincipalSchema.parse(token.principal);
    const other = byId.get(principal.id);
    if (other === undefined) {
      byId.set(principal.id, token);
      continue;
    }
    if (!isDeepStrictEqual(PrincipalSchema.parse(other.principal), principal)) {
      throw new StartError(
        "duplicate_token",
        `the id "${principal.id}" stands for two different principals (from ${other.source} and ${token.source}); give each its own id`,
      );
    }
  }
}

/** How many tokens each role has, e.g. `1 agent, 2 approvers, 1 admin`. */
export function describeRoles(tokens: readonly ResolvedToken[]): string {
  const roles: Role[] = ["agent", "approver", "admin"];
  return roles
    .map((role) => {
      const count = tokens.filter((t) => t.principal.role === role).length;
      return `${count} ${role}${count === 1 ? "" : "s"}`;
    })
    .join(", ");
}
