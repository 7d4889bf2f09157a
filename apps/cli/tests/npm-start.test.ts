// `npm start` stops cleanly when the npm process alone is signalled (an IDE's stop button, a
// process manager): the demo, the inbox, the server and its engine all end, exit code 0, and no
// ELIFECYCLE or unhandled rejection is printed. Runs the real `npm start` on free ports.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port p with p+1 and p+10 free too (the server's and its engine's), and one for the inbox. */
async function ports(): Promise<{ server: number; inbox: number }> {
  for (;;) {
    const server = 20_000 + Math.floor(Math.random() * 30_000);
    const inbox = server + 20;
    const all = await Promise.all([server, server + 1, server + 10, inbox].map(portFree));
    if (all.every(Boolean)) return { server, inbox };
  }
}

/** Every process below `pid` now, from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, ppid] of parent) {
      if (ppid === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
  } catch {
    return "";
  }
}

let npm: ChildProcess | undefined;
let leftovers: number[] = [];
let storage: string | undefined;

afterEach(async () => {
  // A failed run is stopped as a user would (SIGTERM to npm), then whatever is left is killed by
  // pid; the storage goes last (the server finds its engine through it).
  if (npm?.pid && alive(npm.pid)) {
    leftovers = [...new Set([...leftovers, ...descendants(npm.pid)])];
    const gone = new Promise((resolve) => npm!.once("exit", resolve));
    npm.kill("SIGTERM");
    await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 30_000))]);
  }
  for (const pid of leftovers.filter(alive)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  if (npm?.pid && alive(npm.pid)) npm.kill("SIGKILL");
  if (storage) rmSync(storage, { recursive: true, force: true });
}, 60_000);

describe("npm start", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} to the npm process alone stops the server, its engine, the inbox and the demo, quietly`, {
      timeout: 300_000,
    }, async () => {
      const { server, inbox } = await ports();
      storage = mkdtempSync(join(tmpdir(), "warden-start-"));
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(process.env))
        if (value !== undefined && !name.startsWith("npm_") && name !== "CI") env[name] = value;
      Object.assign(env, {
        WARDEN_PORT: String(server),
        WARDEN_STORAGE: storage,
        WARDEN_ENDPOINT: `http://127.0.0.1:${server}`,
        WARDEN_INBOX_PORT: String(inbox),
        WARDEN_INBOX_URL: `http://127.0.0.1:${inbox}/`,
        DEMO_PAUSE_MS: "200",
        UV_THREADPOOL_SIZE: "64",
      });
      // The command as the README writes it; its own process group, so that nothing but the
      // test's one signal reaches it.
      npm = spawn("npm", ["start"], {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let output = "";
      npm.stdout!.on("data", (d) => (output += d));
      npm.stderr!.on("data", (d) => (output += d));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        npm!.on("exit", (code, sig) => resolve({ code, signal: sig })),
      );

      // Up: the demo printed the inbox link (it waits for the server), the inbox answers.
      const deadline = Date.now() + 240_000;
      for (;;) {
        const inboxUp = await fetch(`http://127.0.0.1:${inbox}/`, {
          signal: AbortSignal.timeout(5_000),
        }).then(
          (r) => r.ok,
          () => false,
        );
        if (inboxUp && output.includes("Open the inbox") && output.includes("allowed by a rule"))
          break;
        if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const before = descendants(npm.pid!);
      leftovers = before;
      expect(before.map(commandOf).some((c) => c.includes("rivet-engine"))).toBe(true);
      expect(before.map(commandOf).some((c) => c.includes("vite"))).toBe(true);

      process.kill(npm.pid!, signal);
      const result = await exited;
      expect(result).toEqual({ code: 0, signal: null });
      // Every process that was running under npm start is gone (checked, not waited for blindly:
      // npm exits only after its child, which waits for each program it started).
      const left = before.filter(alive).map((pid) => `${pid} ${commandOf(pid)}`);
      expect(left).toEqual([]);
      expect(output).not.toMatch(/ELIFECYCLE|unhandled|Command failed/i);
      expect(output).not.toMatch(/SQLite transaction is unnamed|Ignored build scripts/);
      expect(output).toContain("warden: stopped");
    });
  }
});
