// `npm start`: the Warden server, the web inbox and the demo agent, as one process that owns
// them. A stop from anywhere — Ctrl-C in the terminal, or SIGINT/SIGTERM/SIGHUP sent to `npm` or
// to this process alone, as process managers and IDEs do — stops the demo, then the inbox, then
// the server (which stops its engine), waits for each, and exits 0 without noise.
//
// Each child runs in its own process group, so a terminal's Ctrl-C reaches only this process and
// the order of the stop is ours; a group is signalled as a whole (pnpm → sh → node).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** Lines that are not the user's business: engine/runtime chatter with no action to take. */
const NOISE = [/SQLite transaction is unnamed/, /^\s*$/];
/**
 * While stopping, what a stopped program says about being stopped: pnpm's `ELIFECYCLE` for a
 * script ended by our signal, RivetKit's rejections of actions cut off by the shutdown.
 */
const STOP_NOISE = [/ELIFECYCLE/, /Command failed/, /unhandled action promise rejection/i];

/** How long a child may take to stop before its group is killed. */
const STOP_GRACE_MS = { demo: 5_000, inbox: 5_000, server: 20_000 };

const INBOX_PORT = process.env.WARDEN_INBOX_PORT ?? "5173";
/** The server's front answers CORS for these origins only: the inbox's (docs/server.md). */
const INBOX_ORIGINS = `http://127.0.0.1:${INBOX_PORT},http://localhost:${INBOX_PORT}`;

/** The programs, in start order; they stop in reverse. */
const PROGRAMS = [
  {
    name: "server",
    args: ["--filter", "@warden/server-app", "run", "dev"],
    env: { WARDEN_ALLOWED_ORIGINS: process.env.WARDEN_ALLOWED_ORIGINS ?? INBOX_ORIGINS },
  },
  {
    name: "inbox",
    args: [
      "--filter",
      "@warden/web",
      "exec",
      "vite",
      "--host",
      "127.0.0.1",
      "--port",
      INBOX_PORT,
      "--strictPort",
      "--clearScreen",
      "false",
      "--logLevel",
      "warn",
    ],
  },
  { name: "demo", args: ["--filter", "@warden/demo", "run", "dev"] },
];

const WIDTH = Math.max(...PROGRAMS.map((p) => p.name.length));

function pipe(stream, name, out, isStopping) {
  const lines = createInterface({ input: stream });
  lines.on("line", (line) => {
    if (NOISE.some((pattern) => pattern.test(line))) return;
    if (isStopping() && STOP_NOISE.some((pattern) => pattern.test(line))) return;
    out.write(`${name.padEnd(WIDTH)} │ ${line}\n`);
  });
}

/** Resolves once no process is left in the group. */
async function groupGone(pgid) {
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs the programs until a signal or until one of them ends; resolves with the exit code. */
export function runDev({ cwd, env }) {
  const children = new Map();
  let stopping;

  const signalGroup = (child, signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };

  const stopAll = (code) => {
    stopping ??= (async () => {
      for (const { name } of [...PROGRAMS].reverse()) {
        const child = children.get(name);
        if (!child) continue;
        // The whole group must be gone, not only pnpm at its head: the program under it (the
        // server stopping its engine) may still be at work.
        signalGroup(child, "SIGTERM");
        const killer = setTimeout(() => signalGroup(child, "SIGKILL"), STOP_GRACE_MS[name]);
        await groupGone(child.pid);
        clearTimeout(killer);
      }
      return code;
    })();
    return stopping;
  };

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (!stopping) process.stdout.write(`\nwarden: ${signal} received, stopping…\n`);
      void stopAll(0).then((code) => {
        process.stdout.write("warden: stopped\n");
        process.exit(code);
      });
    });
  }
  // A bug here must not leave the server's engine behind: stop everything in order, then fail.
  process.on("uncaughtException", (error) => {
    process.stderr.write(`warden: ${error?.stack ?? error}\n`);
    void stopAll(1).then((code) => process.exit(code));
  });
  // If this process dies anyway, its children must not outlive it.
  process.on("exit", () => {
    for (const child of children.values()) signalGroup(child, "SIGKILL");
  });

  return new Promise((resolve) => {
    for (const program of PROGRAMS) {
      const child = spawn("pnpm", ["--silent", ...program.args], {
        cwd,
        env: { ...env, ...program.env, FORCE_COLOR: process.stdout.isTTY ? "1" : "0" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      child.exited = new Promise((done) => child.on("exit", done));
      pipe(child.stdout, program.name, process.stdout, () => stopping !== undefined);
      pipe(child.stderr, program.name, process.stderr, () => stopping !== undefined);
      children.set(program.name, child);
      child.on("exit", (code, signal) => {
        if (stopping) return;
        process.stderr.write(
          `warden: ${program.name} ended (${signal ?? `exit ${code}`}); stopping the rest\n`,
        );
        void stopAll(code || 1).then(resolve);
      });
    }
  });
}

// `pnpm dev` (no install): node scripts/dev.mjs
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  runDev({ cwd: root, env: process.env }).then((code) => process.exit(code));
}
