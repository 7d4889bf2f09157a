import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inputRefusal } from "@warden/client";
import { diffLines } from "diff";
import { z } from "zod";
import { prettyJson } from "./describe.ts";

/** An edited tool input: a JSON object, as the server accepts it. */
export const EditedInputSchema = z.record(z.string(), z.unknown());
export type EditedInput = z.infer<typeof EditedInputSchema>;

/** The outcome of reading an edited input. */
export type ParsedInput =
  | { readonly ok: true; readonly input: EditedInput }
  | { readonly ok: false; readonly error: string };

/**
 * Parses edited text as a tool input: JSON, an object, and one the server accepts (no
 * `__proto__` or `constructor` key anywhere, within its depth and size), refused here before
 * anything is sent.
 */
export function parseEditedInput(text: string): ParsedInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not valid JSON: ${(error as Error).message}` };
  }
  // Checked before the schema: z.record builds a copy that would drop a top-level `__proto__`.
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { ok: false, error: "the input must be a JSON object" };
  const refusal = inputRefusal(value as Record<string, unknown>);
  if (refusal !== undefined) return { ok: false, error: `not allowed: ${refusal}` };
  const result = EditedInputSchema.safeParse(value);
  return result.success
    ? { ok: true, input: result.data }
    : { ok: false, error: "the input must be a JSON object" };
}

/**
 * Opens `editor` (a shell command line such as `vim` or `code --wait`) on the input as pretty
 * JSON and returns the saved text; the terminal must be released to it first.
 */
export function editInEditor(editor: string, input: EditedInput): ParsedInput {
  const dir = mkdtempSync(join(tmpdir(), "warden-edit-"));
  const file = join(dir, "input.json");
  try {
    writeFileSync(file, `${prettyJson(input)}\n`);
    const result = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "warden-edit", file], {
      stdio: "inherit",
    });
    if (result.error)
      return { ok: false, error: `could not run ${editor}: ${result.error.message}` };
    if (result.status !== 0)
      return { ok: false, error: `${editor} exited with ${result.status ?? result.signal}` };
    return parseEditedInput(readFileSync(file, "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line of a diff between two inputs. */
export interface DiffLine {
  readonly kind: "same" | "added" | "removed";
  readonly text: string;
}

/** A line diff of two inputs' pretty JSON. */
export function diffInputs(before: EditedInput, after: EditedInput): DiffLine[] {
  return diffLines(prettyJson(before), prettyJson(after)).flatMap((change) =>
    change.value
      .replace(/\n$/, "")
      .split("\n")
      .map((text) => ({
        kind: change.added ? "added" : change.removed ? "removed" : "same",
        text,
      })),
  );
}
