import { type ParseArgsConfig, parseArgs } from "node:util";
import type { z } from "zod";
import { CliError } from "./errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses a command's arguments strictly; an unknown or malformed option is an `invalid_option`. */
export function parseCommandArgs<const T extends Options>(
  argv: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (error) {
    throw new CliError("invalid_option", (error as Error).message);
  }
}

/** Validates parsed options with a schema; the first issue becomes a `missing_option` or `invalid_option`. */
export function validateOptions<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const result = schema.safeParse(values);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path[0];
  const name = typeof key === "string" ? `--${key}` : "options";
  const given = typeof key === "string" ? (values as Record<string, unknown>)[key] : values;
  const missing = issue.code === "invalid_type" && given === undefined;
  throw new CliError(
    missing ? "missing_option" : "invalid_option",
    missing ? `${name} is required` : `${name}: ${issue.message}`,
  );
}

/** Parses a JSON option value, naming the option when the text is not JSON. */
export function parseJsonOption(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError("invalid_json", `--${name} is not valid JSON: ${(error as Error).message}`);
  }
}
