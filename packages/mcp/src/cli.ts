import type { Readable, Writable } from "node:stream";
import { startHttpGateway } from "./http.ts";
import { readOptions, USAGE, UsageError } from "./options.ts";
import { startStdioGateway } from "./stdio.ts";

/** Where the gateway talks: stdin/stdout are the MCP channel in stdio mode, stderr is for people. */
export interface GatewayIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/**
 * Runs `warden mcp` / `warden-mcp` with the arguments after the command name; resolves to the
 * exit code when the gateway stops (stdio: the client or the server went away; HTTP: a signal).
 * @example process.exitCode = await runGateway(process.argv.slice(2), { ...process, cwd: process.cwd() })
 */
export async function runGateway(argv: readonly string[], io: GatewayIo): Promise<number> {
  const log = (line: string) => io.stderr.write(`warden-mcp: ${line}\n`);
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions(argv, io.env, io.cwd);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(
      `warden mcp: error[usage]: ${error.message}\nRun 'warden mcp --help' for usage.\n`,
    );
    return 2;
  }
  if (options === "help") {
    io.stderr.write(`${USAGE}\n`);
    return 0;
  }
  if (tokenOnCommandLine(argv))
    log("warning: --token is visible to every user of this machine (ps); set WARDEN_TOKEN instead");
  if (options.cwd === "/" || options.cwd === io.env.HOME)
    log(
      `the session's working directory is ${options.cwd}: relative globs in rules cover all of it (set --cwd)`,
    );
  if (options.mode === "stdio") {
    let gateway: Awaited<ReturnType<typeof startStdioGateway>>;
    try {
      gateway = await startStdioGateway(options, { ...io, log });
    } catch (error) {
      log(`could not start ${options.command}: ${(error as Error).message}`);
      return 1;
    }
    log(`session ${gateway.sessionId} of project ${options.project}: ${options.command} started`);
    const side = await gateway.closed;
    return side === "client" ? 0 : 1;
  }
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  try {
    gateway = await startHttpGateway(options, { log });
  } catch (error) {
    log(
      `could not listen on ${options.listen.host}:${options.listen.port}: ${(error as Error).message}`,
    );
    return 1;
  }
  log(`listening on ${gateway.url}, relaying to the upstream server (project ${options.project})`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  await gateway.close();
  return 0;
}

/** Whether Warden's token was given as a flag (not after `--`, where it is the server's). */
export function tokenOnCommandLine(argv: readonly string[]): boolean {
  const dash = argv.indexOf("--");
  const own = dash === -1 ? argv : argv.slice(0, dash);
  return own.some((arg) => arg === "--token" || arg.startsWith("--token="));
}
