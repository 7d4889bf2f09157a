import { parseArgs } from "node:util";
import { z } from "zod";

export const DEFAULT_ENDPOINT = "http://127.0.0.1:6420";

/** The usage text of `warden mcp` / `warden-mcp`. */
export const USAGE = `Usage: warden mcp --project ID [options] -- <command> [args…]
       warden mcp --project ID [options] --listen [HOST:]PORT --upstream URL
(also \`warden-mcp\`, packages/mcp/bin/warden-mcp.mjs, for MCP clients' configs)

Puts Warden in front of an MCP server: every tools/call is decided by Warden's rules, hook and
humans first (as the tool mcp__<server>__<tool>); everything else passes through unchanged.

Options:
  -p, --project ID      the Warden project (or WARDEN_PROJECT)
  -s, --session ID      the Warden session (or WARDEN_SESSION; default: a new one per client connection)
  --server NAME         the server's name in tool names (default: the server's serverInfo.name;
                        set it: a server chooses its own serverInfo)
  --endpoint URL        the Warden server (or WARDEN_ENDPOINT; default ${DEFAULT_ENDPOINT})
  --token TOKEN         an agent's token (or WARDEN_TOKEN, which keeps it out of ps)
  --cwd DIR             the session's working directory, for relative globs (default: the current one)
  --hide-denied         leave the tools the policy denies outright out of tools/list
  --fast-path MODE      on | deny-only | off (default on: rule-settled calls are decided locally)
  --listen [HOST:]PORT  serve Streamable HTTP at http://HOST:PORT/mcp (HOST defaults to 127.0.0.1;
                        keep it loopback: whoever reaches it acts with this gateway's Warden token;
                        port 0 picks a free one, printed on stderr)
  --allow-host NAME     (HTTP) a Host name clients may use besides the listen address and loopback
                        (repeatable; requests naming any other host are refused: DNS rebinding)
  --max-sessions N      (HTTP) MCP sessions open at once (default 64)
  --idle-close-ms MS    (HTTP) close a session with no request open for this long (default 1800000)
  --max-connections N   (HTTP) client connections open at once (default 256; beyond: 503)
  --max-requests N      (HTTP) requests being served at once, SSE streams and calls waiting for
                        a human included (default 256; beyond: 503)
  --upstream URL        the upstream Streamable HTTP MCP server
  --pass-header NAME    a request header passed to the upstream (repeatable; Authorization always is)
  --unreachable-ms MS   refuse a call when Warden cannot be reached for this long (default 120000)
  --progress-ms MS      while a human decides, a progress notification this often (default 5000;
                        only when the client asked for progress)
  -h, --help

Exit code: the server's when it exits; 2 for a usage error.`;

const IdSchema = z
  .string()
  .min(1, "is empty")
  .max(200, "is longer than 200 characters")
  .regex(/^[\w.:@/-]+$/, "may contain letters, digits and _ . : @ / - only");

const ListenSchema = z
  .string()
  // A bare port listens on loopback: the safe default.
  .transform((text) => (/^\d{1,5}$/.test(text) ? `127.0.0.1:${text}` : text))
  .pipe(
    z
      .string()
      .regex(/^(\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}$/, "expected HOST:PORT, e.g. 127.0.0.1:7333"),
  )
  .transform((text) => {
    const at = text.lastIndexOf(":");
    return { host: text.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(text.slice(at + 1)) };
  })
  .refine((l) => l.port < 65_536, "port out of range (0 picks a free one)");

const HttpUrlSchema = z
  .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
  // A password in a URL is on the command line (ps shows it to every user) and in any error or
  // log line that quotes the URL: tokens go in WARDEN_TOKEN, the upstream's in the client's headers.
  .refine((url) => {
    const parsed = new URL(url);
    return parsed.username === "" && parsed.password === "";
  }, "must not carry credentials (user:password@): Warden's token goes in WARDEN_TOKEN, the upstream's in the client's Authorization header");

const CommonSchema = z.object({
  project: z.string({ error: "is required (set --project or WARDEN_PROJECT)" }).pipe(IdSchema),
  session: IdSchema.optional(),
  server: z.string().min(1).max(100).optional(),
  endpoint: HttpUrlSchema,
  token: z
    .string({ error: "is required (set --token or WARDEN_TOKEN)" })
    .min(1, "is empty (set --token or WARDEN_TOKEN)")
    .max(4096),
  cwd: z.string().min(1),
  hideDenied: z.boolean(),
  fastPath: z.enum(["on", "deny-only", "off"]),
  progressMs: z.coerce.number().int().min(100).max(600_000),
  unreachableMs: z.coerce.number().int().min(100).max(3_600_000),
});

/** Options of a stdio gateway: the command it starts. */
export const StdioOptionsSchema = CommonSchema.extend({
  mode: z.literal("stdio"),
  command: z.string().min(1, "expected a command after --"),
  args: z.array(z.string()),
});

/** Options of a Streamable HTTP gateway. */
export const HttpOptionsSchema = CommonSchema.extend({
  mode: z.literal("http"),
  listen: ListenSchema,
  upstream: HttpUrlSchema,
  passHeaders: z.array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "is not a header name")),
  allowHosts: z.array(
    z.string().regex(/^(\[[0-9a-fA-F:]+\]|[\w.-]+)$/, "expected a host name or address, no port"),
  ),
  maxSessions: z.coerce.number().int().min(1).max(10_000),
  idleCloseMs: z.coerce
    .number()
    .int()
    .min(100)
    .max(7 * 24 * 3_600_000),
  maxConnections: z.coerce.number().int().min(1).max(100_000),
  maxRequests: z.coerce.number().int().min(1).max(100_000),
});

export type StdioOptions = z.infer<typeof StdioOptionsSchema>;
export type HttpOptions = z.infer<typeof HttpOptionsSchema>;
export type GatewayOptions = StdioOptions | HttpOptions;

/** A usage error, with what to fix. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const FLAGS = {
  project: { type: "string", short: "p" },
  session: { type: "string", short: "s" },
  server: { type: "string" },
  endpoint: { type: "string" },
  token: { type: "string" },
  cwd: { type: "string" },
  "hide-denied": { type: "boolean" },
  "fast-path": { type: "string" },
  listen: { type: "string" },
  upstream: { type: "string" },
  "pass-header": { type: "string", multiple: true },
  "allow-host": { type: "string", multiple: true },
  "max-sessions": { type: "string" },
  "idle-close-ms": { type: "string" },
  "max-connections": { type: "string" },
  "max-requests": { type: "string" },
  "progress-ms": { type: "string" },
  "unreachable-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const blank = (value: string | undefined) => (value === "" ? undefined : value);

/**
 * Reads the options from the arguments (everything after `--` is the server's command line) and
 * the environment; `"help"` when help was asked for.
 */
export function readOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): GatewayOptions | "help" {
  const dash = argv.indexOf("--");
  const own = dash === -1 ? [...argv] : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  let values: ReturnType<typeof parseArgs<{ options: typeof FLAGS }>>["values"];
  try {
    ({ values } = parseArgs({ args: own, options: FLAGS, strict: true }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return "help";
  const common = {
    project: values.project ?? blank(env.WARDEN_PROJECT),
    session: values.session ?? blank(env.WARDEN_SESSION),
    server: values.server,
    endpoint: values.endpoint ?? blank(env.WARDEN_ENDPOINT) ?? DEFAULT_ENDPOINT,
    token: values.token ?? blank(env.WARDEN_TOKEN),
    cwd: values.cwd ?? cwd,
    hideDenied: values["hide-denied"] ?? false,
    fastPath: values["fast-path"] ?? "on",
    progressMs: values["progress-ms"] ?? 5_000,
    unreachableMs: values["unreachable-ms"] ?? 120_000,
  };
  const http = values.listen !== undefined || values.upstream !== undefined;
  if (http && command.length > 0)
    throw new UsageError(
      "give either -- <command> (stdio) or --listen and --upstream (HTTP), not both",
    );
  if (!http && command.length === 0)
    throw new UsageError("expected -- <command> [args…], or --listen HOST:PORT --upstream URL");
  const result = http
    ? HttpOptionsSchema.safeParse({
        ...common,
        mode: "http",
        listen: values.listen,
        upstream: values.upstream,
        passHeaders: values["pass-header"] ?? [],
        allowHosts: values["allow-host"] ?? [],
        maxSessions: values["max-sessions"] ?? 64,
        idleCloseMs: values["idle-close-ms"] ?? 30 * 60_000,
        maxConnections: values["max-connections"] ?? 256,
        maxRequests: values["max-requests"] ?? 256,
      })
    : StdioOptionsSchema.safeParse({
        ...common,
        mode: "stdio",
        command: command[0],
        args: command.slice(1),
      });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path[0];
  const flag =
    typeof key === "string"
      ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
      : "options";
  throw new UsageError(`${flag}: ${issue.message}`);
}
