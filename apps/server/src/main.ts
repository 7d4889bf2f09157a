// Usage: node --import tsx apps/server/src/main.ts [--config FILE] [--print-config]
import { parseArgs } from "node:util";
import { onStorageFault } from "@warden/server";
import { loadConfig } from "./config.ts";
import { describeStart, redactConfig } from "./describe.ts";
import { ENGINE_LOST_EXIT_CODE } from "./engine-link.ts";
import { StartError } from "./errors.ts";
import { prepare, type RunningServer, startServer } from "./start.ts";
import { describeLeftover, EMPTY_STORAGE_WATCH, noteFault } from "./storage-watch.ts";

const USAGE = `usage: warden-server [--config FILE] [--print-config]

  --config FILE    YAML or JSON config (default: $WARDEN_CONFIG; none: environment only)
  --print-config   check the policy files and the hook, print the effective config with
                   tokens redacted, and exit
  -h, --help       show this help

Environment: WARDEN_CONFIG, WARDEN_TOKENS (JSON: token -> principal), WARDEN_PORT, WARDEN_HOST,
WARDEN_STORAGE, WARDEN_INTERNAL_TOKEN, WARDEN_DEV=1 (dev default tokens; never in production);
WARDEN_ENGINE_ENDPOINT, WARDEN_ENGINE_NAMESPACE, WARDEN_ENGINE_TOKEN join an external engine
cluster instead of spawning one. See docs/server.md and docs/deploy.md.`;

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c" },
        "print-config": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new StartError("invalid_arguments", `${(error as Error).message}\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(argv);
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const config = await loadConfig({
    ...(args.values.config ? { file: args.values.config } : {}),
    env: process.env,
    cwd: process.cwd(),
  });
  if (args.values["print-config"]) {
    await prepare(config);
    console.log(JSON.stringify(redactConfig(config), null, 2));
    return 0;
  }

  let server: RunningServer | undefined;
  let stopping: Promise<number> | undefined;
  let signalledDuringStart: string | undefined;
  const shutdown = (signal: string) => {
    stopping ??= (async () => {
      console.log(`warden: ${signal} received, stopping`);
      try {
        await server?.stop();
      } catch (error) {
        console.error("warden: error while stopping:", error);
        return 1;
      }
      console.log("warden: stopped");
      return 0;
    })();
    return stopping;
  };
  // Package runners (pnpm, npm) forward the terminal's SIGINT to a child that already got it from
  // the process group, so one Ctrl-C can arrive twice within milliseconds. Only a signal that comes
  // after the first has been acknowledged for a moment means "stop now, without draining".
  let firstSignalAt = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping && Date.now() - firstSignalAt < 500) return;
      firstSignalAt ||= Date.now();
      if (stopping) {
        console.error(`warden: second ${signal}, exiting without draining`);
        try {
          if (server?.enginePid !== undefined) process.kill(server.enginePid, "SIGKILL");
        } catch {}
        process.exit(1);
      }
      if (server) void shutdown(signal).then((code) => process.exit(code));
      else signalledDuringStart = signal;
    });
  }

  // An actor left on closed storage answers nothing until its process goes (storage-watch.ts).
  // A runner of a cluster exits so that its supervisor restarts it and the engine starts its
  // actors afresh; an embedded server would take its engine, and every session, down with it and
  // may run without a supervisor, so it says so loudly instead, and through /health (503) to
  // whatever watches that.
  let faults = EMPTY_STORAGE_WATCH;
  onStorageFault((fault) => {
    if (stopping) return;
    const noted = noteFault(faults, fault);
    faults = noted.state;
    if (noted.verdict.kind === "watch") return;
    if (config.engine.mode === "external") {
      console.error(
        `warden: ${describeLeftover(noted.verdict)}; exiting (${ENGINE_LOST_EXIT_CODE}) so that a supervisor restarts this runner and the engine starts its actors afresh (docs/deploy.md)`,
      );
      process.exit(ENGINE_LOST_EXIT_CODE);
    }
    const reason = `${describeLeftover(noted.verdict)}; its sessions stay unanswered until this server restarts`;
    console.error(`warden: ERROR: ${reason} (docs/deploy.md)`);
    // /health answers anyone: it says what to do, not which actor (the log names it).
    server?.markUnhealthy(
      "an actor of this server is on closed storage; restart the server (its log names the actor)",
    );
    faults = EMPTY_STORAGE_WATCH;
  });

  server = await startServer(config);
  if (signalledDuringStart) return shutdown(signalledDuringStart);
  if (config.tokens.some((t) => t.dev)) {
    console.error(
      "warden: WARNING: WARDEN_DEV=1 put the documented dev tokens in use; anyone can act as those principals. Never set WARDEN_DEV in production.",
    );
  }
  console.log(describeStart(config, server.endpoint));
  void server.engineLost?.then(() => {
    if (stopping) return;
    console.error(
      `warden: the engine ended this runner's connection; exiting (${ENGINE_LOST_EXIT_CODE}) so that a supervisor restarts it with fresh actors (docs/deploy.md)`,
    );
    process.exit(ENGINE_LOST_EXIT_CODE);
  });
  // The registry keeps the process alive; the signal handlers end it.
  return new Promise<number>(() => {});
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StartError) console.error(`warden: ${error.message}`);
    else console.error("warden: failed to start:", error);
    process.exit(1);
  },
);
