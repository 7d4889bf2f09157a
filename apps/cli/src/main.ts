import type { Command } from "./command.ts";
import { approveCommand } from "./commands/approve.ts";
import { checkCommand } from "./commands/check.ts";
import { evalCommand } from "./commands/eval.ts";
import { lintCommand } from "./commands/lint.ts";
import { mcpCommand } from "./commands/mcp.ts";
import { CliError, EXIT } from "./errors.ts";
import type { Io } from "./io.ts";

const COMMANDS: readonly Command[] = [
  checkCommand,
  lintCommand,
  evalCommand,
  approveCommand,
  mcpCommand,
];

const usage = `Usage: warden <command> [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(7)} ${command.summary}`).join("\n")}

Run 'warden <command> --help' for a command's options.
Exit codes: 0 success, 1 a policy that does not load or a lint error, 2 a usage error.`;

function findCommand(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw new CliError("unknown_command", `unknown command '${name}'`);
  return command;
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${usage}\n`);
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${rest[0] === undefined ? usage : findCommand(rest[0]).usage}\n`);
    return EXIT.ok;
  }
  return findCommand(name).run(rest, io);
}

/**
 * Runs the CLI with the arguments after `warden` and resolves to the process exit code.
 * @example process.exitCode = await run(["lint", "warden.yaml"], { stdin, stdout, stderr })
 */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (!(error instanceof CliError)) {
      io.stderr.write(
        `warden: error[internal_error]: ${(error as Error).stack ?? String(error)}\n`,
      );
      return EXIT.failure;
    }
    const command =
      argv[0] !== undefined && COMMANDS.some((c) => c.name === argv[0]) ? ` ${argv[0]}` : "";
    const hint = error.exitCode === EXIT.usage ? `\nRun 'warden${command} --help' for usage.` : "";
    io.stderr.write(`warden${command}: error[${error.code}]: ${error.message}${hint}\n`);
    return error.exitCode;
  }
}
