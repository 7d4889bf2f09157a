import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type PolicySource, parsePolicyText } from "@warden/rules";
import { CliError } from "./errors.ts";

/** Reads a file as UTF-8; a missing or unreadable file is an `unreadable_file` error. */
export async function readTextFile(path: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError("unreadable_file", `cannot read ${path} (${reason})`);
  }
}

/** Reads and parses a YAML or JSON policy file, naming it `name` in errors and decisions. */
export async function loadPolicyFile(
  path: string,
  cwd: string,
  name = path,
): Promise<PolicySource> {
  return parsePolicyText(await readTextFile(path, cwd), { file: name });
}
