// Every shell command the README and docs/*.md show in a ```sh block runs as written, from the
// directory the docs imply, against a real server (the docs' own `WARDEN_DEV=1 pnpm run server`, on a
// free port): docs/commands.json says how each is checked, or why it is not run, and must list
// exactly the commands the docs hold.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import xterm from "@xterm/headless";
import { spawn as spawnPty } from "node-pty";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

type Entry = { doc: string; command: string; cwd?: string } & (
  | { kind: "run"; stdout?: string; code?: number }
  | { kind: "terminal"; screen: string }
  | { kind: "server"; output: string; stopped?: string }
  | { kind: "covered"; by: string }
  | { kind: "skip"; why: string }
);

interface DocCommand {
  readonly doc: string;
  readonly command: string;
  /** The `export …` lines before it in the same block: they apply to it, as in a shell. */
  readonly prelude: readonly string[];
}

/** A line without its trailing `# comment` (a `#` after a blank, outside single quotes). */
function withoutComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "'") quoted = !quoted;
    if (!quoted && line[i] === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

/** The commands of every ```sh block: comments dropped, `\` continuations joined. */
export function extractCommands(doc: string, text: string): DocCommand[] {
  const found: DocCommand[] = [];
  for (const block of text.matchAll(/^[ \t]*```(?:sh|bash|shell)\n([\s\S]*?)^[ \t]*```/gm)) {
    const exports: string[] = [];
    const lines = block[1]!.replace(/\\\n\s*/g, "").split("\n");
    for (const raw of lines) {
      const command = withoutComment(raw).trim();
      if (command === "" || command.startsWith("#")) continue;
      found.push({ doc, command, prelude: [...exports] });
      if (command.startsWith("export ")) exports.push(command);
    }
  }
  return found;
}

const docs = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const fromDocs = docs.flatMap((doc) => extractCommands(doc, readFileSync(join(ROOT, doc), "utf8")));
const list: Entry[] = JSON.parse(readFileSync(join(ROOT, "docs/commands.json"), "utf8")).commands;
const key = (e: { doc: string; command: string }) => `${e.doc}: ${e.command}`;
const entryOf = new Map(list.map((e) => [key(e), e]));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Three free ports p, p+1, p+10 (the server's and its engine's). */
async function serverPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port > 60_000) continue;
    const ok = await Promise.all(
      [port + 1, port + 10].map(
        (p) =>
          new Promise<boolean>((resolve) => {
            const s = createServer();
            s.once("error", () => resolve(false));
            s.listen(p, "127.0.0.1", () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return port;
  }
}

let env: Record<string, string>;
let storage: string;
const started: ChildProcess[] = [];

function script(entry: DocCommand): string {
  return [...entry.prelude, entry.command].join("\n");
}

/** Runs a shell command to its end. */
function run(command: string, cwd: string) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    const child = spawn("bash", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code: code ?? 1, out }));
  });
}

/** Starts a long-running command in its own process group; resolves once its output matches. */
async function startServerCommand(command: string, cwd: string, output: RegExp) {
  const child = spawn("bash", ["-c", command], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  let out = "";
  const exited = new Promise<string>((resolve) =>
    child.on("exit", (code, signal) => resolve(signal ?? `exit ${code}`)),
  );
  await new Promise<void>((resolve, reject) => {
    const check = (d: Buffer) => {
      out += d;
      if (output.test(out)) resolve();
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    void exited.then((code) =>
      reject(new Error(`${command} ended (${code}) before ${output}:\n${out}`)),
    );
  });
  return {
    output: () => out,
    /** Ctrl-C, as a terminal sends it: SIGINT to the process group. */
    async stop() {
      process.kill(-child.pid!, "SIGINT");
      return exited;
    },
  };
}

beforeAll(async () => {
  const port = await serverPort();
  storage = mkdtempSync(join(tmpdir(), "warden-docs-"));
  env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !e[0].startsWith("npm_") && e[0] !== "CI",
    ),
  );
  Object.assign(env, {
    WARDEN_PORT: String(port),
    WARDEN_STORAGE: storage,
    WARDEN_ENDPOINT: `http://127.0.0.1:${port}`,
    UV_THREADPOOL_SIZE: "64",
    TERM: "xterm-256color",
  });
});

/** Whether any process is left in a process group. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(async () => {
  // What a failed test left running is stopped as a user would (Ctrl-C), so that the server
  // stops its engine; only then killed, and only then its storage removed.
  for (const child of started.filter((c) => groupAlive(c.pid!))) {
    process.kill(-child.pid!, "SIGINT");
    const deadline = Date.now() + 30_000;
    while (groupAlive(child.pid!) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    if (groupAlive(child.pid!)) process.kill(-child.pid!, "SIGKILL");
  }
  rmSync(storage, { recursive: true, force: true });
}, 90_000);

describe("the commands in the docs", () => {
  test("docs/commands.json lists exactly the commands of the docs' sh blocks", () => {
    expect(fromDocs.length).toBeGreaterThan(10);
    const missing = fromDocs.filter((c) => !entryOf.has(key(c))).map(key);
    const stale = list.filter((e) => !fromDocs.some((c) => key(c) === key(e))).map(key);
    expect({ missing, stale }).toEqual({ missing: [], stale: [] });
    for (const entry of list) {
      if (entry.kind === "skip") expect(entry.why.length, key(entry)).toBeGreaterThan(10);
      if (entry.kind === "covered") {
        expect(existsSync(join(ROOT, entry.by)), entry.by).toBe(true);
        expect(readFileSync(join(ROOT, entry.by), "utf8")).toContain(entry.command);
      }
    }
  });

  test("each runs as written against a real server, from the repository root", {
    timeout: 600_000,
  }, async () => {
    const byKind = (kind: Entry["kind"]) =>
      fromDocs.filter((c) => entryOf.get(key(c))?.kind === kind);
    // The docs' own server first: every other command talks to it.
    const servers = byKind("server").sort((a, b) =>
      a.command.includes("pnpm run server") ? -1 : b.command.includes("pnpm run server") ? 1 : 0,
    );
    const running = [];
    for (const command of servers) {
      const entry = entryOf.get(key(command)) as Extract<Entry, { kind: "server" }>;
      running.push({
        command,
        handle: await startServerCommand(
          script(command),
          join(ROOT, entry.cwd ?? "."),
          new RegExp(entry.output),
        ),
      });
    }

    for (const command of byKind("run")) {
      const entry = entryOf.get(key(command)) as Extract<Entry, { kind: "run" }>;
      const result = await run(script(command), join(ROOT, entry.cwd ?? "."));
      expect({
        command: key(command),
        code: result.code,
        out: result.code === (entry.code ?? 0) ? "" : result.out,
      }).toEqual({
        command: key(command),
        code: entry.code ?? 0,
        out: "",
      });
      if (entry.stdout) expect(result.out, key(command)).toMatch(new RegExp(entry.stdout, "m"));
    }

    for (const command of byKind("terminal")) {
      const entry = entryOf.get(key(command)) as Extract<Entry, { kind: "terminal" }>;
      const term = new xterm.Terminal({ cols: 120, rows: 40, allowProposedApi: true });
      const pty = spawnPty("bash", ["-c", script(command)], {
        name: "xterm-256color",
        cols: 120,
        rows: 40,
        cwd: join(ROOT, entry.cwd ?? "."),
        env,
      });
      let out = "";
      pty.onData((data) => {
        out += data;
        term.write(data);
      });
      const exited = new Promise<number>((resolve) => pty.onExit((e) => resolve(e.exitCode)));
      const screen = () => {
        const lines = [];
        for (let row = 0; row < 40; row++)
          lines.push(term.buffer.active.getLine(row)?.translateToString(true) ?? "");
        return lines.join("\n");
      };
      const deadline = Date.now() + 90_000;
      while (!screen().includes(entry.screen)) {
        if (Date.now() > deadline) {
          pty.kill();
          throw new Error(
            `${key(command)}: the screen never showed ${entry.screen}:\n${screen()}\n${out}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      pty.write("q");
      expect(await exited, key(command) + JSON.stringify(out.slice(-1500))).toBe(0);
      expect(out).not.toMatch(/error\[|ReferenceError/);
    }

    // Stopped as a terminal would (Ctrl-C): each ends cleanly (exit 0, or ended by the SIGINT
    // itself, as a shell reports a Ctrl-C'd program) and quietly.
    for (const { command, handle } of running.reverse()) {
      const entry = entryOf.get(key(command)) as Extract<Entry, { kind: "server" }>;
      const how = await handle.stop();
      if (entry.stopped) expect(handle.output(), key(command)).toMatch(new RegExp(entry.stopped));
      expect({ command: key(command), how }).toEqual({
        command: key(command),
        how: expect.stringMatching(/^(exit 0|SIGINT)$/),
      });
      expect(handle.output(), key(command)).not.toMatch(
        /ELIFECYCLE|Command failed|unhandled|without draining/i,
      );
    }
  });
});
