/** @jsxRuntime automatic @jsxImportSource react */
// (The pragma keeps the JSX runtime when tsx runs this file from a directory without this package's tsconfig, e.g. `pnpm warden` at the repository root.)
import { createWardenClient, revealText } from "@warden/client";
import { render } from "ink";
import type { ApproveOptions } from "../commands/approve.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Io } from "../io.ts";
import { Approver } from "./app.tsx";

const FATAL_CODES = new Set(["unauthorized", "forbidden", "unavailable"] as const);
type FatalCode = typeof FATAL_CODES extends Set<infer T> ? T : never;

function toCliError(error: unknown): CliError {
  const code = (error as { code?: unknown } | undefined)?.code;
  // The server's words may quote what it was sent: printed to the terminal, so revealed.
  const message = revealText((error as Error | undefined)?.message ?? String(error));
  if (typeof code === "string" && FATAL_CODES.has(code as FatalCode)) {
    return new CliError(code as FatalCode, message);
  }
  return new CliError("internal_error", message);
}

/** Runs the approver until the user quits; a refused token ends it with an error. */
export async function runApprover(options: ApproveOptions, io: Io): Promise<number> {
  const warden = createWardenClient({
    endpoint: options.endpoint,
    token: options.token,
    project: options.project,
  });
  let fatal: unknown;
  // Once the approver has exited, the client's disposal fails its last calls: not an error.
  let exited = false;
  const app = render(
    <Approver
      project={options.project}
      inbox={warden.inbox(options.project)}
      {...(options.editor ? { editor: options.editor } : {})}
      onFatal={(error) => {
        if (exited) return;
        fatal = error;
        app.unmount();
      }}
    />,
    {
      stdin: io.stdin as NodeJS.ReadStream,
      stdout: io.stdout as NodeJS.WriteStream,
      stderr: io.stderr as NodeJS.WriteStream,
      interactive: true,
      alternateScreen: true,
      exitOnCtrlC: false,
    },
  );
  try {
    await app.waitUntilExit();
  } finally {
    exited = true;
    await warden.dispose().catch(() => undefined);
  }
  if (fatal !== undefined) throw toCliError(fatal);
  return EXIT.ok;
}
