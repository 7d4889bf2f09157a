import { readFile } from "node:fs/promises";
import { compilePolicy, PolicyError, type PolicySource, parsePolicyText } from "@warden/rules";
import type { WardenOptions } from "@warden/server";
import type { ConfigPath, ServerConfig } from "./config.ts";
import { StartError } from "./errors.ts";

type PolicyOptions = NonNullable<WardenOptions["policy"]>;

/**
 * Reads every policy file of the config and compiles each project tier with the global one, so
 * that a broken file stops the start with its `file:line:col` instead of failing requests later.
 */
export async function loadPolicies(policy: ServerConfig["policy"]): Promise<PolicyOptions> {
  const cache = new Map<string, Promise<PolicySource>>();
  const load = (file: ConfigPath) => {
    let source = cache.get(file.path);
    if (!source) {
      source = loadPolicyFile(file);
      cache.set(file.path, source);
    }
    return source;
  };
  const global = policy.global ? await load(policy.global) : undefined;
  const defaultProject = policy.default ? await load(policy.default) : undefined;
  const projects: Record<string, PolicySource> = {};
  for (const [id, file] of Object.entries(policy.projects)) projects[id] = await load(file);

  const tiers = [...Object.values(projects), ...(defaultProject ? [defaultProject] : [])];
  for (const project of tiers.length > 0 ? tiers : [undefined]) {
    try {
      compilePolicy({ ...(global ? { global } : {}), ...(project ? { project } : {}) });
    } catch (error) {
      throw asStartError(error);
    }
  }
  return {
    ...(global ? { global } : {}),
    ...(defaultProject ? { defaultProject } : {}),
    projects,
  };
}

async function loadPolicyFile(file: ConfigPath): Promise<PolicySource> {
  let text: string;
  try {
    text = await readFile(file.path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StartError("unreadable_file", `cannot read the policy file ${file.name} (${reason})`);
  }
  try {
    return parsePolicyText(text, { file: file.name });
  } catch (error) {
    throw asStartError(error);
  }
}

function asStartError(error: unknown): unknown {
  return error instanceof PolicyError
    ? new StartError("invalid_policy", `${error.message} [${error.code}]`)
    : error;
}
