import type { ReadStream, WriteStream } from "node:tty";
import { z } from "zod";
import { parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import type { Io } from "../io.ts";

const DEFAULT_ENDPOINT = "http://127.0.0.1:6420";

const usage = `Usage: warden approve --project ID [--endpoint URL] [--token TOKEN] [--editor CMD]

Shows the live list of pending permission requests of every session of a project and answers
them from the keyboard. Keys act on the request shown as selected, never on another one.

Options:
  -p, --project ID    the project to watch (or WARDEN_PROJECT)
  --endpoint URL      the Warden server (or WARDEN_ENDPOINT; default ${DEFAULT_ENDPOINT})
  --token TOKEN       an approver's token (or WARDEN_TOKEN, which keeps it out of ps)
  --editor CMD        the editor for 'e' (or VISUAL, then EDITOR; without one 'e' edits inline)
  -h, --help

Keys: ↑/↓ (k/j) select · o allow once · a always (pick or edit the rule, s toggles the scope
session/project) · r reject with a message · e edit the input in the editor, then allow ·
i edit the input inline · q quit.

Exit code: 0 on quit; 1 if the token is refused; 2 for a usage error or no terminal.

Example:
  WARDEN_TOKEN=dev-approver-token warden approve --project demo`;

const ProjectSchema = z
  .string()
  .min(1, "expected a project id")
  .max(200, "is longer than 200 characters")
  .regex(/^[\w.:@/-]+$/, "may contain letters, digits and _ . : @ / - only");

const ApproveOptionsSchema = z.object({
  project: ProjectSchema,
  endpoint: z.url({
    protocol: /^https?$/,
    error: "expected an http(s) URL, e.g. http://127.0.0.1:6420",
  }),
  token: z.string().min(1, "is empty").max(4096, "is longer than 4096 characters"),
  editor: z.string().trim().min(1).optional(),
});

/** The approver's settings, from flags first, then the environment. */
export type ApproveOptions = z.infer<typeof ApproveOptionsSchema>;

const SOURCES = {
  project: "--project or WARDEN_PROJECT",
  endpoint: "--endpoint or WARDEN_ENDPOINT",
  token: "--token or WARDEN_TOKEN",
  editor: "--editor, VISUAL or EDITOR",
} as const;

const blank = (value: string | undefined) => (value === "" ? undefined : value);

/** Reads and validates the options; a missing or malformed one is a usage error naming its source. */
export function readApproveOptions(
  values: { project?: string; endpoint?: string; token?: string; editor?: string },
  env: NodeJS.ProcessEnv,
): ApproveOptions {
  const raw = {
    project: values.project ?? blank(env.WARDEN_PROJECT),
    endpoint: values.endpoint ?? blank(env.WARDEN_ENDPOINT) ?? DEFAULT_ENDPOINT,
    token: values.token ?? blank(env.WARDEN_TOKEN),
    editor: values.editor ?? blank(env.VISUAL) ?? blank(env.EDITOR),
  };
  const result = ApproveOptionsSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const name = issue.path[0] as keyof typeof SOURCES;
  if (raw[name] === undefined) {
    throw new CliError("missing_option", `${SOURCES[name]} is required`);
  }
  throw new CliError("invalid_option", `${SOURCES[name]}: ${issue.message}`);
}

/** `warden approve`: the terminal approver. */
export const approveCommand: Command = {
  name: "approve",
  summary: "answer a project's pending permission requests in the terminal",
  usage,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values } = parseCommandArgs(argv, {
      project: { type: "string", short: "p" },
      endpoint: { type: "string" },
      token: { type: "string" },
      editor: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const options = readApproveOptions(values, process.env);
    const stdin = io.stdin as Partial<ReadStream>;
    const stdout = io.stdout as Partial<WriteStream>;
    if (!stdin.isTTY || !stdout.isTTY || typeof stdin.setRawMode !== "function") {
      throw new CliError("not_a_terminal", "warden approve needs an interactive terminal");
    }
    // Loaded here so that check, lint and eval never load React or the client.
    const { runApprover } = await import("../approve/run.tsx");
    return runApprover(options, io);
  },
};
