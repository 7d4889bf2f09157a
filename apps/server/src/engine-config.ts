// Where the Rivet Engine comes from: spawned by this server (embedded, the default) or an engine
// cluster that several Warden servers join as runners (external).
import { z } from "zod";
import { StartError } from "./errors.ts";
import { type ResolvedSecret, resolveSecret } from "./tokens.ts";

/** The engine itself spawns and serves `host`/`port`/`storage`; nothing to set here yet. */
export const EmbeddedEngineSchema = z.strictObject({});

/** An engine cluster (or a standalone engine) run by the operator; this server joins it. */
export const ExternalEngineSchema = z.strictObject({
  /** The engine's guard URL (usually a load balancer in front of every engine node). Accepts `${VAR}`. */
  endpoint: z.string().min(1),
  /** The engine namespace whose actors this server runs (the same on every Warden server). */
  namespace: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a namespace is lowercase letters, digits and dashes")
    .optional(),
  /** The engine's admin token. Accepts `${VAR}`. */
  token: z.string().min(1),
  /** The runner version; raise it on a deploy so the engine drains actors off older runners. */
  version: z.number().int().min(1).max(2_147_483_647).optional(),
});

/**
 * The config file's `engine` section: with an `endpoint` it is external, otherwise embedded. The
 * variant is chosen by that key, so an error names the variant's own field (a plain union would
 * report `endpoint` as an unknown key when the token is missing).
 */
export const EngineFileSchema = z.unknown().transform((value, ctx): EngineFile => {
  const external = typeof value === "object" && value !== null && "endpoint" in value;
  const result = (external ? ExternalEngineSchema : EmbeddedEngineSchema).safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue, input: value } as never);
  return z.NEVER;
});
export type EngineFile =
  | z.infer<typeof ExternalEngineSchema>
  | z.infer<typeof EmbeddedEngineSchema>;

/** The effective engine setting. */
export type EngineConfig =
  | { readonly mode: "embedded" }
  | {
      readonly mode: "external";
      /** The guard URL without credentials, as clients use it. */
      readonly endpoint: string;
      readonly namespace: string;
      readonly token: ResolvedSecret;
      readonly version?: number;
    };

/**
 * Resolves the `engine` section and `WARDEN_ENGINE_ENDPOINT` / `WARDEN_ENGINE_NAMESPACE` /
 * `WARDEN_ENGINE_TOKEN` (which override the file) into the effective engine setting.
 */
export function resolveEngine(
  file: EngineFile | undefined,
  env: NodeJS.ProcessEnv,
  where: string,
): EngineConfig {
  const fromFile = file && "endpoint" in file ? file : undefined;
  const rawEndpoint = env.WARDEN_ENGINE_ENDPOINT || fromFile?.endpoint;
  if (!rawEndpoint) {
    if (env.WARDEN_ENGINE_TOKEN || env.WARDEN_ENGINE_NAMESPACE) {
      throw new StartError(
        "invalid_config",
        "WARDEN_ENGINE_TOKEN and WARDEN_ENGINE_NAMESPACE need an engine endpoint (WARDEN_ENGINE_ENDPOINT or engine.endpoint)",
      );
    }
    return { mode: "embedded" };
  }
  const endpoint = env.WARDEN_ENGINE_ENDPOINT
    ? env.WARDEN_ENGINE_ENDPOINT
    : resolveSecret(rawEndpoint, `${where}: engine.endpoint`, env)!.value;
  const token = env.WARDEN_ENGINE_TOKEN
    ? { value: env.WARDEN_ENGINE_TOKEN, source: "$WARDEN_ENGINE_TOKEN", dev: false }
    : fromFile
      ? resolveSecret(fromFile.token, `${where}: engine.token`, env)!
      : undefined;
  if (!token) {
    throw new StartError(
      "invalid_config",
      "WARDEN_ENGINE_ENDPOINT needs the engine's admin token: set WARDEN_ENGINE_TOKEN or engine.token",
    );
  }
  const namespace = env.WARDEN_ENGINE_NAMESPACE || fromFile?.namespace || "default";
  const namespaceCheck = ExternalEngineSchema.shape.namespace.safeParse(namespace);
  if (!namespaceCheck.success) {
    throw new StartError(
      "invalid_config",
      `engine namespace "${namespace}": ${namespaceCheck.error.issues[0]!.message}`,
    );
  }
  return {
    mode: "external",
    endpoint: parseEndpoint(endpoint),
    namespace,
    token,
    ...(fromFile?.version !== undefined ? { version: fromFile.version } : {}),
  };
}

/** An http(s) URL with no credentials in it (they belong in `token`, which is never printed). */
function parseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StartError("invalid_config", `engine endpoint "${raw}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new StartError(
      "invalid_config",
      `engine endpoint must be http or https, not ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new StartError(
      "invalid_config",
      "engine endpoint must not carry credentials: put the namespace in engine.namespace and the token in engine.token",
    );
  }
  if (url.search || url.hash) {
    throw new StartError("invalid_config", "engine endpoint must not have a query or fragment");
  }
  return url.href.replace(/\/$/, "");
}

/**
 * The start error for an external engine that refused this runner's token, or undefined for any
 * other failure. RivetKit reports the refusal as an internal error wrapping the engine's 403 and a
 * Rust backtrace; the operator needs to know which setting to fix, and no token is quoted.
 */
export function engineRefusal(
  error: unknown,
  engine: { readonly endpoint: string; readonly token: { readonly source: string } },
): StartError | undefined {
  const text = error instanceof Error ? error.message : String(error);
  if (!/\b(401 Unauthorized|403 Forbidden)\b|Invalid token/i.test(text)) return undefined;
  return refusalError(engine);
}

/**
 * Asks the engine itself whether it refuses this runner's token, for a start that failed with
 * some other error: RivetKit may report its registry's own shutdown instead of the engine's 403
 * when the two race. The engine's API (`/namespaces`) answers only its admin token. Any other
 * answer, or none within 5 s, leaves the original error standing.
 */
export async function probeEngineRefusal(engine: {
  readonly endpoint: string;
  readonly token: ResolvedSecret;
}): Promise<StartError | undefined> {
  try {
    const response = await fetch(`${engine.endpoint}/namespaces`, {
      headers: { authorization: `Bearer ${engine.token.value}` },
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    return response.status === 401 || response.status === 403 ? refusalError(engine) : undefined;
  } catch {
    return undefined;
  }
}

function refusalError(engine: {
  readonly endpoint: string;
  readonly token: { readonly source: string };
}): StartError {
  return new StartError(
    "engine_refused",
    `the engine at ${engine.endpoint} refused this runner's engine token (${engine.token.source}): set it to the engine's admin token`,
  );
}
