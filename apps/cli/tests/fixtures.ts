import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CLI_DIR } from "./cli.ts";

/** A fixture's path relative to the CLI package, as tests pass it on the command line. */
export const fixture = (name: string) => `tests/fixtures/${name}`;

/** A fixture's absolute path, as `check` names policy files. */
export const absoluteFixture = (name: string) => resolve(CLI_DIR, fixture(name));

/** The 1-based line and column where `needle` first occurs in a fixture. */
export function positionOf(name: string, needle: string): { line: number; column: number } {
  const lines = readFileSync(absoluteFixture(name), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`${needle} is not in ${name}`);
  return { line: index + 1, column: lines[index]!.indexOf(needle) + 1 };
}
