// A Warden config for the cluster's runners: one policy file per project, an agent and an
// approver with fresh random tokens (the cluster test and bench use it; `pnpm cluster` uses the
// sample config instead). Written as JSON, which is YAML too.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writePrivate } from "./process.ts";

export interface WardenSetup {
  /** A temp dir holding the config and the policy files; remove it when done. */
  readonly dir: string;
  readonly configFile: string;
  readonly agentToken: string;
  readonly approverToken: string;
}

/** Writes the config; `policies` maps each project to its policy (as YAML data). */
export function writeWardenConfig(policies: Record<string, Record<string, unknown>>): WardenSetup {
  const dir = mkdtempSync(join(tmpdir(), "warden-cluster-config-"));
  const projects = Object.keys(policies);
  for (const [project, policy] of Object.entries(policies)) {
    writePrivate(join(dir, `${project}.yaml`), JSON.stringify(policy, null, 2));
  }
  const agentToken = randomBytes(24).toString("base64url");
  const approverToken = randomBytes(24).toString("base64url");
  const configFile = join(dir, "warden.yaml");
  writePrivate(
    configFile,
    JSON.stringify(
      {
        policy: { projects: Object.fromEntries(projects.map((p) => [p, `${p}.yaml`])) },
        tokens: {
          [agentToken]: { id: "cluster-agent", role: "agent", projects },
          [approverToken]: { id: "cluster-approver", role: "approver", projects },
        },
        shutdownGraceMs: 5000,
      },
      null,
      2,
    ),
  );
  return { dir, configFile, agentToken, approverToken };
}
