import { createInterface } from "node:readline";
import { parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { evaluateLine } from "../eval-line.ts";
import { type Io, write } from "../io.ts";
import { PolicyCache } from "../policy-cache.ts";

const usage = `Usage: warden eval --jsonl < calls.jsonl

Decides a stream of calls, one JSON object a line on stdin:
  {"id": 1, "policy": {"rules": [...]}, "tool": "Bash", "input": {"command": "ls"}, "context": {"cwd": "/repo"}}
and writes one line per input line to stdout, in input order:
  {"id": 1, "decision": "allow", "rule": "Bash(ls)"}
  {"id": 2, "error": {"code": "invalid_pattern", "message": "..."}}
Blank lines are skipped. "context" is optional. Error codes: the engine's (invalid_pattern, …),
invalid_json and invalid_input (id null when unknown). Equal policies compile once.

Options:
  --jsonl   read and write JSON Lines (required)
  -h, --help

Exit code: 0 once every line is answered, whatever the decisions; 2 for a usage error.`;

async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    jsonl: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  if (!values.jsonl)
    throw new CliError("missing_option", "eval reads JSON Lines from stdin: pass --jsonl");

  const cache = new PolicyCache(256);
  const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const result = evaluateLine(line, lineNumber, cache);
    if ("error" in result && result.error.code === "internal_error") {
      io.stderr.write(`warden eval: ${result.error.message}\n`);
    }
    const pending = write(io.stdout, `${JSON.stringify(result)}\n`);
    if (pending) await pending;
  }
  return EXIT.ok;
}

/** `warden eval --jsonl`: decides a stream of calls, each with its own policy. */
export const evalCommand: Command = {
  name: "eval",
  summary: "decide a JSON Lines stream of {policy, tool, input} on stdin",
  usage,
  run,
};
