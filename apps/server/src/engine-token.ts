// The engine Warden spawns serves its API (`/actors`, `/namespaces`, …) on the client port. With
// an admin token it answers that API only to holders of the token; actor routes (what clients
// use) stay open, and Warden checks its own tokens there. The token is kept in the storage dir
// (mode 0600), so that a restart can reuse the engine that RivetKit leaves running.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where the engine's admin token of a storage dir is kept. */
export const engineTokenPath = (storage: string) => join(storage, "engine-admin-token");

/** The engine's admin token: `RIVET__AUTH__ADMIN_TOKEN` if the operator set one, else the storage dir's own. */
export async function engineAdminToken(storage: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (env.RIVET__AUTH__ADMIN_TOKEN) return env.RIVET__AUTH__ADMIN_TOKEN;
  const path = engineTokenPath(storage);
  const stored = await readFile(path, "utf8").catch(() => "");
  if (stored.trim()) return stored.trim();
  const token = randomBytes(32).toString("hex");
  await mkdir(storage, { recursive: true });
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: "wx" }).catch(async () => {
    // Another start wrote one meanwhile: use that.
  });
  return (await readFile(path, "utf8")).trim();
}
