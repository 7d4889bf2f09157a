/**
 * `pnpm cluster [--engines N] [--runners N] [--dir DIR]`: a Warden cluster on this machine
 * (PostgreSQL, NATS, engine nodes, a load balancer, Warden runners), stopped in order on Ctrl-C
 * or SIGTERM. Uses apps/server/warden.config.yaml; without WARDEN_AGENT_TOKEN,
 * WARDEN_APPROVER_TOKEN and WARDEN_ADMIN_TOKEN it runs on the public dev tokens (WARDEN_DEV=1).
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { startCluster } from "./cluster/index.ts";
import { findNats } from "./cluster/nats.ts";

const { values } = parseArgs({
  options: {
    engines: { type: "string", default: "2" },
    runners: { type: "string", default: "2" },
    dir: { type: "string" },
    verbose: { type: "boolean", short: "v", default: false },
  },
});
const count = (name: string, raw: string, min: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > 8) throw new Error(`--${name}: ${min}..8, not ${raw}`);
  return n;
};

// Debian's nats-server, installed on first use as the bootstrap installs Chromium.
function ensureNats() {
  if (findNats()) return;
  console.error("cluster: nats-server is missing; installing Debian's nats-server with apt-get");
  const root = process.getuid?.() === 0;
  const apt = (...args: string[]) =>
    spawnSync(root ? "apt-get" : "sudo", root ? args : ["apt-get", ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    }).status === 0;
  const install = () => apt("install", "-y", "--no-install-recommends", "nats-server");
  if (!install() && (!apt("update") || !install())) {
    throw new Error("could not install nats-server (apt-get install nats-server)");
  }
}

const dev = !(
  process.env.WARDEN_AGENT_TOKEN &&
  process.env.WARDEN_APPROVER_TOKEN &&
  process.env.WARDEN_ADMIN_TOKEN
);
ensureNats();
const started = Date.now();
const cluster = await startCluster({
  runnerConfig: resolve(import.meta.dirname, "../apps/server/warden.config.yaml"),
  runnerEnv: dev ? { WARDEN_DEV: "1" } : {},
  engines: count("engines", values.engines, 1),
  runners: count("runners", values.runners, 1),
  ...(values.dir ? { dir: resolve(values.dir) } : {}),
  log: values.verbose ? (line) => console.error(`cluster: ${line}`) : undefined,
});
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.error(`cluster: ${signal}, stopping runners, engines, NATS and PostgreSQL`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("cluster: error while stopping:", error);
        process.exit(1);
      },
    );
  });
}
console.log(
  `cluster: ${cluster.endpoint} | ${cluster.engines.length} engines, ${cluster.runners.length} runners, namespace ${cluster.namespace} | logs ${cluster.dir} | ready in ${((Date.now() - started) / 1000).toFixed(1)} s${dev ? " | WARDEN_DEV=1: public dev tokens" : ""} | Ctrl-C stops`,
);
