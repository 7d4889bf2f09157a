#!/usr/bin/env node
// Provisions Node >= 22 and pnpm from the npm registry when the machine lacks them, installs the
// workspace, then runs a root script (`ci` or `dev`). Runs on any Node >= 18 with npm.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_VERSION = "22.23.3";
const MIN_NODE = [22, 12];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tools = join(root, ".tools");
const toolsBin = join(tools, "node_modules", ".bin");
const pnpmVersion = JSON.parse(
  readFileSync(join(root, "package.json"), "utf8"),
).packageManager.split("@")[1];

const target = process.argv[2];
if (!target) {
  console.error("usage: node scripts/bootstrap.mjs <root-script> [args…]");
  process.exit(2);
}

const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")),
);

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", env, cwd: root, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function output(cmd, args) {
  const result = spawnSync(cmd, args, { env, encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : null;
}

function nodeIsRecent(version) {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

const missing = [];
if (!nodeIsRecent(output("node", ["--version"]) ?? "v0.0.0")) missing.push(`node@${NODE_VERSION}`);
if (output("pnpm", ["--version"]) !== pnpmVersion) missing.push(`pnpm@${pnpmVersion}`);

const installed = (name) => existsSync(join(toolsBin, name));
const needed = missing.filter((spec) => !installed(spec.split("@")[0]));
if (needed.length > 0) {
  console.error(`[bootstrap] provisioning ${needed.join(" ")} into .tools/ from the npm registry`);
  mkdirSync(tools, { recursive: true });
  const status = run(
    "npm",
    ["install", "--prefix", tools, "--no-audit", "--no-fund", "--loglevel=error", ...needed],
    { cwd: tools },
  );
  if (status !== 0) process.exit(status);
}
if (missing.length > 0) env.PATH = `${toolsBin}${delimiter}${env.PATH ?? ""}`;

// CI starts on a fresh machine: the browser tests (apps/web) drive Debian's Chromium, and the
// cluster test (pnpm cluster) runs Debian's nats-server and PostgreSQL 15.
const CHROMIUM = env.WARDEN_CHROMIUM ?? "/usr/bin/chromium";
const hasNats = () =>
  ["nats-server", "/usr/sbin/nats-server"].some(
    (bin) => spawnSync(bin, ["--version"], { env }).status === 0,
  );
const debianPackages =
  target === "ci"
    ? [
        ...(existsSync(CHROMIUM) ? [] : ["chromium"]),
        ...(hasNats() ? [] : ["nats-server"]),
        ...(existsSync("/usr/lib/postgresql/15/bin/initdb") ? [] : ["postgresql-15"]),
      ]
    : [];
if (debianPackages.length > 0) {
  console.error(`[bootstrap] installing Debian's ${debianPackages.join(" ")} with apt-get`);
  const apt = (...args) =>
    process.getuid?.() === 0 ? run("apt-get", args) : run("sudo", ["apt-get", ...args]);
  env.DEBIAN_FRONTEND = "noninteractive";
  const installed = () => apt("install", "-y", "--no-install-recommends", ...debianPackages) === 0;
  if (!installed() && (apt("update") !== 0 || !installed())) {
    console.error(
      `[bootstrap] could not install ${debianPackages.join(" ")}; the browser and cluster tests need them`,
    );
    process.exit(1);
  }
}

const frozen = env.CI ? ["--frozen-lockfile"] : [];
const install = ["install", "--prefer-offline", ...frozen];
// `npm start` installs quietly (pnpm's progress and its ignored-build-scripts box are not the
// user's business); only a failing install is shown, by running it again out loud.
let installStatus = run("pnpm", target === "dev" ? [...install, "--reporter=silent"] : install);
if (installStatus !== 0 && target === "dev") installStatus = run("pnpm", install);
if (installStatus !== 0) process.exit(installStatus);

if (target === "dev") {
  // Run in this process, so that a signal to `npm start` (which npm passes to this process)
  // stops everything: see scripts/dev.mjs.
  const { runDev } = await import("./dev.mjs");
  process.exit(await runDev({ cwd: root, env }));
}
const status = run("pnpm", ["run", target, ...process.argv.slice(3)]);
// The cluster test (PostgreSQL, NATS, two engines, runners; ~2 minutes) runs last and alone, after
// every other suite has finished: beside them, on a 2-core machine, its failovers starved.
if (status !== 0 || target !== "ci") process.exit(status);
console.error("[bootstrap] the cluster test: pnpm --filter @warden/server-app test:cluster");
process.exit(run("pnpm", ["--filter", "@warden/server-app", "test:cluster"]));
