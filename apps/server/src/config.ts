import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { LineCounter, type Node, parseDocument } from "yaml";
import { z } from "zod";
import { type EngineConfig, EngineFileSchema, resolveEngine } from "./engine-config.ts";
import { StartError } from "./errors.ts";
import { DEFAULT_ALLOWED_ORIGINS, normalizeOrigin } from "./front-cors.ts";
import { requireStrongSecret } from "./token-strength.ts";
import {
  type ResolvedSecret,
  type ResolvedToken,
  resolveSecret,
  resolveTokens,
  TokenMapSchema,
} from "./tokens.ts";

const PathSchema = z.string().min(1);

/** The config file (YAML or JSON). Paths in it are relative to the file. */
export const ConfigFileSchema = z.strictObject({
  /** Embedded (default: this server spawns its engine) or an external engine cluster to join. */
  engine: EngineFileSchema.optional(),
  /** Where clients connect: Warden's front, in front of the embedded engine. */
  port: z.number().int().min(1).max(65_535).optional(),
  host: z.string().min(1).optional(),
  /** The embedded engine's own port, on 127.0.0.1 only (default port + 1); it also binds +1 and +10. */
  enginePort: z.number().int().min(1).max(65_525).optional(),
  /** Browser origins that may call the server (the inbox's); default: the inbox dev server's. */
  allowedOrigins: z.array(z.string().min(1)).optional(),
  /** Where the engine keeps its state (default `./.warden-data`). */
  storage: PathSchema.optional(),
  policy: z
    .strictObject({
      global: PathSchema.optional(),
      /** The project tier for projects without their own file. */
      default: PathSchema.optional(),
      projects: z.record(z.string().regex(/^[\w.:@/-]{1,200}$/), PathSchema).optional(),
    })
    .optional(),
  tokens: TokenMapSchema.optional(),
  /** A module whose `onPermissionRequest` (or default) export is the server-side hook. */
  hooks: PathSchema.optional(),
  hookBudgetMs: z.number().int().min(1).max(60_000).optional(),
  maxPendingPerSession: z.number().int().min(1).max(10_000).optional(),
  defaultWaitMs: z.number().int().min(0).max(50_000).optional(),
  /** Secret for actor-to-actor calls; the same on every runner. Accepts `${VAR}`. */
  internalToken: z.string().min(1).optional(),
  /** How long a shutdown waits for actors to drain. */
  shutdownGraceMs: z.number().int().min(1_000).max(600_000).optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** A file named in the config: its absolute path and the name shown in errors and decisions. */
export interface ConfigPath {
  readonly path: string;
  readonly name: string;
}

/** The effective configuration: file, environment and defaults merged, secrets resolved. */
export interface ServerConfig {
  readonly file?: string;
  /** Embedded: `host`, `port` and `storage` are the spawned engine's. External: they are unused. */
  readonly engine: EngineConfig;
  readonly host: string;
  readonly port: number;
  /** Embedded: the engine's guard port on 127.0.0.1, behind the front on `port`. */
  readonly enginePort: number;
  /** Origins whose pages may call the server; every other `Origin` is refused. */
  readonly allowedOrigins: readonly string[];
  readonly storage: string;
  readonly policy: {
    readonly global?: ConfigPath;
    readonly default?: ConfigPath;
    readonly projects: Readonly<Record<string, ConfigPath>>;
  };
  readonly tokens: readonly ResolvedToken[];
  readonly hooks?: ConfigPath;
  readonly hookBudgetMs?: number;
  readonly maxPendingPerSession?: number;
  readonly defaultWaitMs?: number;
  readonly internalToken?: ResolvedSecret;
  readonly shutdownGraceMs: number;
  /** `WARDEN_DEV=1`: dev defaults of `${VAR:-default}` tokens may be used. */
  readonly dev: boolean;
}

export interface LoadConfigOptions {
  /** `--config`; falls back to `WARDEN_CONFIG`. */
  readonly file?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export const DEFAULT_PORT = 6420;

/** The URL clients connect to. */
export function endpointOf(config: Pick<ServerConfig, "host" | "port" | "engine">): string {
  if (config.engine.mode === "external") return config.engine.endpoint;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/**
 * Reads the config file and the environment (`WARDEN_TOKENS`, `WARDEN_PORT`, `WARDEN_HOST`,
 * `WARDEN_STORAGE`, `WARDEN_INTERNAL_TOKEN`, `WARDEN_DEV`, `WARDEN_ALLOWED_ORIGINS`,
 * `WARDEN_ENGINE_*`) into the effective
 * configuration.
 * @example const config = await loadConfig({ file: "warden.config.yaml", env: process.env, cwd: process.cwd() });
 */
export async function loadConfig(options: LoadConfigOptions): Promise<ServerConfig> {
  const { env, cwd } = options;
  const given = options.file ?? env.WARDEN_CONFIG;
  const file = given ? resolve(cwd, given) : undefined;
  const shown = file ? displayPath(file, cwd) : "environment";
  const parsed = file ? await readConfigFile(file, shown) : {};
  const base = file ? dirname(file) : cwd;
  const at = (path: string): ConfigPath => {
    const absolute = resolve(base, path);
    return { path: absolute, name: displayPath(absolute, cwd) };
  };

  const dev = env.WARDEN_DEV === "1";
  if (dev && env.NODE_ENV === "production") {
    throw new StartError(
      "invalid_config",
      "WARDEN_DEV=1 and NODE_ENV=production: refusing to start with dev tokens in production",
    );
  }
  const tokens = resolveTokens(parsed.tokens ?? {}, env, shown);
  const internalToken =
    parsed.internalToken !== undefined
      ? resolveSecret(parsed.internalToken, `${shown}: internalToken`, env)
      : env.WARDEN_INTERNAL_TOKEN
        ? { value: env.WARDEN_INTERNAL_TOKEN, source: "$WARDEN_INTERNAL_TOKEN", dev: false }
        : undefined;
  if (internalToken && tokens.some((t) => t.value === internalToken.value)) {
    throw new StartError("duplicate_token", "the internal token must differ from every user token");
  }
  if (!dev) {
    for (const token of tokens)
      requireStrongSecret(
        token.value,
        `the token of "${token.principal.id}" (from ${token.source})`,
      );
    if (internalToken)
      requireStrongSecret(internalToken.value, `the internal token (from ${internalToken.source})`);
  }
  const engine = resolveEngine(parsed.engine, env, shown);
  if (engine.mode === "external") {
    // Each runner would otherwise draw its own random one, and actor-to-actor calls between
    // actors on different runners would be refused.
    if (!internalToken) {
      throw new StartError(
        "invalid_config",
        "an external engine needs internalToken (or WARDEN_INTERNAL_TOKEN), the same on every Warden server",
      );
    }
    const clash = [internalToken.value, ...tokens.map((t) => t.value)].includes(engine.token.value);
    if (clash) {
      throw new StartError(
        "duplicate_token",
        "the engine token must differ from the internal token and every user token",
      );
    }
    if (!dev)
      requireStrongSecret(engine.token.value, `the engine token (from ${engine.token.source})`);
  }

  const projects = Object.fromEntries(
    Object.entries(parsed.policy?.projects ?? {}).map(([id, path]) => [id, at(path)]),
  );
  const port = env.WARDEN_PORT ? parsePort(env.WARDEN_PORT) : (parsed.port ?? DEFAULT_PORT);
  const enginePort = parsed.enginePort ?? port + 1;
  if (
    engine.mode === "embedded" &&
    ([enginePort, enginePort + 1, enginePort + 10].includes(port) || enginePort + 10 > 65_535)
  ) {
    throw new StartError(
      "invalid_config",
      `enginePort ${enginePort}: the engine binds enginePort, +1 and +10, which must be ports other than port ${port}`,
    );
  }
  return {
    ...(file ? { file } : {}),
    engine,
    host: env.WARDEN_HOST || parsed.host || "127.0.0.1",
    port,
    enginePort,
    allowedOrigins: resolveOrigins(
      env.WARDEN_ALLOWED_ORIGINS !== undefined
        ? env.WARDEN_ALLOWED_ORIGINS.split(",")
            .map((o) => o.trim())
            .filter((o) => o !== "")
        : (parsed.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS),
      env.WARDEN_ALLOWED_ORIGINS !== undefined
        ? "WARDEN_ALLOWED_ORIGINS"
        : `${shown}: allowedOrigins`,
    ),
    storage: env.WARDEN_STORAGE
      ? resolve(cwd, env.WARDEN_STORAGE)
      : resolve(base, parsed.storage ?? "./.warden-data"),
    policy: {
      ...(parsed.policy?.global ? { global: at(parsed.policy.global) } : {}),
      ...(parsed.policy?.default ? { default: at(parsed.policy.default) } : {}),
      projects,
    },
    tokens,
    ...(parsed.hooks ? { hooks: at(parsed.hooks) } : {}),
    ...(parsed.hookBudgetMs !== undefined ? { hookBudgetMs: parsed.hookBudgetMs } : {}),
    ...(parsed.maxPendingPerSession !== undefined
      ? { maxPendingPerSession: parsed.maxPendingPerSession }
      : {}),
    ...(parsed.defaultWaitMs !== undefined ? { defaultWaitMs: parsed.defaultWaitMs } : {}),
    ...(internalToken ? { internalToken } : {}),
    shutdownGraceMs: parsed.shutdownGraceMs ?? 10_000,
    dev,
  };
}

async function readConfigFile(file: string, shown: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StartError("unreadable_file", `cannot read the config file ${shown} (${reason})`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return shown;
    const { line, col } = lines.linePos(offset);
    return `${shown}:${line}:${col}`;
  };
  const syntax = document.errors[0];
  if (syntax) {
    throw new StartError(
      "invalid_config",
      `${where(syntax.pos[0])}: ${syntax.message.split("\n")[0]}`,
    );
  }
  const result = ConfigFileSchema.safeParse(document.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [
    ...issue.path,
    ...(issue.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : []),
  ];
  let node = document.getIn(path, true) as Node | undefined;
  while (path.length > 0 && !node?.range) {
    path.pop();
    node = path.length > 0 ? (document.getIn(path, true) as Node | undefined) : undefined;
  }
  // Never echo a literal token: name it by its position instead.
  const shownPath = issue.path.map((key, i) =>
    i === 1 && issue.path[0] === "tokens" && !String(key).startsWith("${")
      ? "<token>"
      : String(key),
  );
  const field = shownPath.length > 0 ? `${shownPath.join(".")}: ` : "";
  throw new StartError("invalid_config", `${where(node?.range?.[0])}: ${field}${issue.message}`);
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StartError("invalid_config", `WARDEN_PORT: "${raw}" is not a port (1-65535)`);
  }
  return port;
}

/** Exact origins (`scheme://host[:port]`); a wildcard or anything else stops the start. */
function resolveOrigins(values: readonly string[], where: string): string[] {
  return values.map((value) => {
    const origin = normalizeOrigin(value);
    if (origin === undefined || origin !== value) {
      throw new StartError(
        "invalid_config",
        `${where}: "${value}" is not an origin; write scheme://host[:port], e.g. https://inbox.example.com (no wildcard, path or trailing slash)`,
      );
    }
    return origin;
  });
}

/** A path as people read it and editors open it: relative to the working directory. */
function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !isAbsolute(rel) ? rel : path;
}
