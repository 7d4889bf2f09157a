import { resolve } from "node:path";
import {
  type CompiledPolicy,
  compilePolicy,
  EvaluationContextSchema,
  explain,
  PolicyError,
  type Tier,
  ToolCallSchema,
} from "@warden/rules";
import { z } from "zod";
import { parseCommandArgs, parseJsonOption, validateOptions } from "../args.ts";
import type { Command } from "../command.ts";
import { type Diagnostic, diagnoseError, formatDiagnostic } from "../diagnostic.ts";
import { CliError, EXIT } from "../errors.ts";
import { decisionJson, formatDecision, type TierSources } from "../format-decision.ts";
import type { Io } from "../io.ts";
import { loadPolicyFile } from "../policy-files.ts";

const usage = `Usage: warden check --project FILE --tool NAME [--input JSON] [options]

Decides one call against policy files and explains why: the decision, its reason, the deciding
rule with its tier and file:line:col, its message, and every rule that names the tool.

Options:
  --project FILE    project-tier policy (YAML or JSON); --policy is an alias
  --global FILE     global-tier policy
  --session FILE    session-tier policy
  --tool NAME       tool name, e.g. Bash, Edit, mcp__github__create_issue
  --input JSON      the tool's input as a JSON object (default {}), e.g. '{"command":"npm test"}'
  --cwd DIR         the session's working directory (relative paths resolve against it)
  --home DIR        the user's home directory, for ~ and $HOME
  --json            print a JSON object instead of text
  -h, --help

Exit code: 0 whatever the decision (read it from the output); 1 if a policy does not load;
2 for a usage error.

Example:
  warden check --policy warden.yaml --tool Bash --input '{"command":"npm test"}' --cwd .`;

const FileSchema = z.string().min(1, "expected a file path");
const DirSchema = z.string().min(1, "expected a directory");

const CheckOptionsSchema = z.object({
  global: FileSchema.optional(),
  project: FileSchema.optional(),
  policy: FileSchema.optional(),
  session: FileSchema.optional(),
  tool: z.string({ error: "expected a tool name" }).min(1, "expected a tool name"),
  input: z.string().default("{}"),
  cwd: DirSchema.optional(),
  home: DirSchema.optional(),
  json: z.boolean().default(false),
});
type CheckOptions = z.infer<typeof CheckOptionsSchema>;

const TIER_FLAGS: readonly Tier[] = ["global", "project", "session"];

function tierFiles(options: CheckOptions): Partial<Record<Tier, string>> {
  if (options.policy !== undefined && options.project !== undefined) {
    throw new CliError("invalid_option", "--policy is an alias of --project: give one of them");
  }
  const files: Partial<Record<Tier, string>> = {};
  const project = options.project ?? options.policy;
  if (options.global !== undefined) files.global = options.global;
  if (project !== undefined) files.project = project;
  if (options.session !== undefined) files.session = options.session;
  if (Object.keys(files).length === 0) {
    throw new CliError(
      "missing_option",
      "give a policy: --project FILE (or --policy), --global FILE or --session FILE",
    );
  }
  return files;
}

function readCall(options: CheckOptions) {
  const parsed = ToolCallSchema.safeParse({
    toolName: options.tool,
    input: parseJsonOption("input", options.input),
  });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = issue.path[0] === "toolName" ? "--tool" : "--input";
  const message =
    name === "--input" && issue.path.length === 1 ? "must be a JSON object" : issue.message;
  throw new CliError("invalid_input", `${name} ${message}`);
}

async function loadPolicy(
  files: Partial<Record<Tier, string>>,
  cwd: string,
): Promise<{ policy: CompiledPolicy; sources: TierSources }> {
  const sources: TierSources = {};
  for (const tier of TIER_FLAGS) {
    const file = files[tier];
    if (file !== undefined) sources[tier] = await loadPolicyFile(file, cwd, resolve(cwd, file));
  }
  return { policy: compilePolicy(sources), sources };
}

function reportLoadFailure(error: PolicyError | CliError, io: Io, json: boolean): number {
  const diagnostic: Diagnostic =
    error instanceof PolicyError
      ? diagnoseError(error)
      : { severity: "error", code: error.code, message: error.message };
  if (json) {
    const { severity: _, ...fields } = diagnostic;
    io.stdout.write(`${JSON.stringify({ error: fields }, null, 2)}\n`);
  } else {
    io.stderr.write(`warden check: ${formatDiagnostic(diagnostic)}\n`);
  }
  return EXIT.failure;
}

async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    global: { type: "string" },
    project: { type: "string" },
    policy: { type: "string" },
    session: { type: "string" },
    tool: { type: "string" },
    input: { type: "string" },
    cwd: { type: "string" },
    home: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  const { help: _, ...rest } = values;
  const options = validateOptions(CheckOptionsSchema, rest);
  const files = tierFiles(options);
  const call = readCall(options);
  const cwd = io.cwd ?? process.cwd();
  const context = EvaluationContextSchema.parse({
    ...(options.cwd !== undefined ? { cwd: resolve(cwd, options.cwd) } : {}),
    ...(options.home !== undefined ? { home: resolve(cwd, options.home) } : {}),
  });

  let loaded: Awaited<ReturnType<typeof loadPolicy>>;
  try {
    loaded = await loadPolicy(files, cwd);
  } catch (error) {
    if (
      error instanceof PolicyError ||
      (error instanceof CliError && error.code === "unreadable_file")
    ) {
      return reportLoadFailure(error, io, options.json);
    }
    throw error;
  }
  const explanation = explain(loaded.policy, call, context);
  io.stdout.write(
    options.json
      ? `${JSON.stringify(decisionJson(explanation, loaded.sources), null, 2)}\n`
      : `${formatDecision(explanation, loaded.sources)}\n`,
  );
  return EXIT.ok;
}

/** `warden check`: decides one call against policy files and explains the decision. */
export const checkCommand: Command = {
  name: "check",
  summary: "decide one call against policy files and explain why",
  usage,
  run,
};
