import { type ConfigPath, endpointOf, type ServerConfig } from "./config.ts";
import { describeRoles } from "./tokens.ts";

/** The one line printed once the server serves requests. */
export function describeStart(config: ServerConfig, endpoint: string): string {
  const projects = Object.keys(config.policy.projects);
  const projectText =
    projects.length === 0
      ? config.policy.default
        ? `every project uses ${config.policy.default.name}`
        : "none (global policy only)"
      : `${projects.join(", ")}${config.policy.default ? " (others: default tier)" : ""}`;
  const parts = [
    ...(config.engine.mode === "external"
      ? [
          `warden: runner joined ${endpoint}`,
          `namespace ${config.engine.namespace}`,
          ...(config.engine.version !== undefined ? [`version ${config.engine.version}`] : []),
        ]
      : [`warden: listening on ${endpoint}`, `storage ${config.storage}`]),
    `projects: ${projectText}`,
    `tokens: ${describeRoles(config.tokens)}`,
    ...(config.hooks ? [`hook: ${config.hooks.name}`] : []),
  ];
  const line = parts.join(" | ");
  const devTokens = config.tokens.filter((t) => t.dev);
  return devTokens.length > 0
    ? `${line} | !!! WARDEN_DEV=1: ${devTokens.length} PUBLIC DEV TOKEN(S) IN USE, NOT FOR PRODUCTION !!!`
    : line;
}

/** The effective configuration as JSON-ready data, with every secret replaced by its source. */
export function redactConfig(config: ServerConfig): Record<string, unknown> {
  const path = (p?: ConfigPath) => p?.path;
  return {
    file: config.file ?? null,
    engine:
      config.engine.mode === "external"
        ? {
            ...config.engine,
            token: `<redacted: ${config.engine.token.source}>`,
            version: config.engine.version ?? null,
          }
        : config.engine,
    host: config.host,
    port: config.port,
    enginePort: config.engine.mode === "embedded" ? config.enginePort : null,
    allowedOrigins: config.engine.mode === "embedded" ? config.allowedOrigins : null,
    endpoint: endpointOf(config),
    storage: config.storage,
    policy: {
      global: path(config.policy.global) ?? null,
      default: path(config.policy.default) ?? null,
      projects: Object.fromEntries(
        Object.entries(config.policy.projects).map(([id, p]) => [id, p.path]),
      ),
    },
    tokens: config.tokens.map((t) => ({
      // Dev defaults are public (documented), so they are shown.
      token: t.dev ? `${t.value} (dev default)` : `<redacted: ${t.source}>`,
      ...t.principal,
    })),
    hooks: path(config.hooks) ?? null,
    hookBudgetMs: config.hookBudgetMs ?? null,
    maxPendingPerSession: config.maxPendingPerSession ?? null,
    defaultWaitMs: config.defaultWaitMs ?? null,
    internalToken: config.internalToken ? `<redacted: ${config.internalToken.source}>` : "<random>",
    shutdownGraceMs: config.shutdownGraceMs,
    dev: config.dev,
  };
}
