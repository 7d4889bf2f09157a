import { pathToFileURL } from "node:url";
import type { PermissionHook } from "@warden/server";
import type { ConfigPath } from "./config.ts";
import { StartError } from "./errors.ts";

/** Imports the hook module and returns its `onPermissionRequest` export, or its default export. */
export async function loadHook(file: ConfigPath): Promise<PermissionHook> {
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(file.path).href);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StartError("invalid_hook", `cannot load the hook module ${file.name}: ${reason}`);
  }
  const hook = module.onPermissionRequest ?? module.default;
  if (typeof hook !== "function") {
    throw new StartError(
      "invalid_hook",
      `${file.name} must export a function named onPermissionRequest (or a default export)`,
    );
  }
  return hook as PermissionHook;
}
