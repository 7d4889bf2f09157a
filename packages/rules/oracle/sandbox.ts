import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";

/**
 * Runs shell snippets with the real bash in a throwaway directory, with a `PATH` that holds only
 * logging stubs, and reports every program bash started. Each snippet gets its own bash process
 * (never two in one shell: they could interfere); snippets run in parallel over a few slots, each
 * slot a directory reused one snippet at a time.
 */

/** One program bash started: the path it was found at and its arguments. */
export interface Exec {
  readonly path: string;
  readonly program: string;
  readonly args: readonly string[];
}

/** What running one snippet did. */
export interface SnippetRun {
  readonly execs: readonly Exec[];
  /** Files that appeared in the working directory (a write the analysis did not see). */
  readonly created: readonly string[];
  /** Fixture files that disappeared (a real `/bin/rm` ran). */
  readonly removed: readonly string[];
  /** Fixture files whose content changed (`sed -i`, a redirection the analysis missed). */
  readonly modified: readonly string[];
  readonly timedOut: boolean;
}

/** Programs the snippets may name: each is a stub that logs its argv and does nothing else. */
export const STUBS = [
  "ls",
  "cat",
  "head",
  "wc",
  "grep",
  "git",
  "pwn",
  "rm",
  "touch",
  "curl",
  "sh",
  "bash",
  "xargs",
  "sudo",
] as const;

/**
 * Programs that log, then really run (from /usr/bin): wrappers that run their operand, and
 * programs whose arguments can run a program or write a file (`sed 'e cmd'`, `find -delete`).
 */
export const WRAPPERS = [
  "env",
  "nice",
  "timeout",
  "nohup",
  "stdbuf",
  "sed",
  "awk",
  "sort",
  "tar",
  "find",
  "make",
  "perl",
  "python3",
  "node",
  "gdb",
  "yq",
  "jq",
  "npx",
  "npm",
  "setarch",
  "prlimit",
  "time",
  "sqlite3",
  "tclsh",
  "uniq",
  "xxd",
  "shuf",
  "iconv",
  "gcc",
] as const;

/**
 * Variables preset in every snippet's environment, standing for what an earlier call in a
 * persistent agent shell may have left behind: text that runs `pwn` wherever bash re-reads it.
 */
export const HOSTILE_ENV: Readonly<Record<string, string>> = {
  u: "$(pwn u)",
  v: "a[$(pwn v)]",
  w: "pwn",
};

/** Positional parameters every snippet starts with, hostile the same way (`$1`, `$2`). */
export const HOSTILE_ARGS: readonly string[] = ["$(pwn 1)", "a[$(pwn 2)]"];

/** Files every snippet starts with in its working directory. */
const FIXTURES = ["README.md", "victim"];
const EVIL_DIR = "evil";
const TIMEOUT_MS = 3000;
const FIELD = "\u001f";
const RECORD = "\u001e";

// The record is built first and appended by one printf (one write): programs of a pipeline run at
// once, and a record written piece by piece interleaved with another's (`cat | rm` lost its rm).
const STUB_SCRIPT = `#!/bin/sh
fs=$(printf '\\037')
r=$0
for a in "$@"; do r="$r$fs$a"; done
printf '%s\\036' "$r" >> "\${0%/*}/../log"
`;

function wrapperScript(name: string): string {
  return `${STUB_SCRIPT}exec /usr/bin/${name} "$@"\n`;
}

interface Slot {
  readonly dir: string;
  readonly bin: string;
  readonly cwd: string;
  readonly log: string;
}

export class Sandbox {
  readonly root: string;
  readonly #slots: Slot[] = [];
  readonly #free: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  readonly #prefix: readonly string[];

  constructor(parallel: number) {
    this.root = mkdtempSync(join(tmpdir(), "warden-bash-oracle-"));
    const stub = join(this.root, "stub");
    writeFileSync(stub, STUB_SCRIPT);
    chmodSync(stub, 0o755);
    for (const name of WRAPPERS) {
      const path = join(this.root, `wrap-${name}`);
      writeFileSync(path, wrapperScript(name));
      chmodSync(path, 0o755);
    }
    for (let index = 0; index < parallel; index++) {
      const dir = join(this.root, `slot-${index}`);
      const slot = { dir, bin: join(dir, "bin"), cwd: join(dir, "cwd"), log: join(dir, "log") };
      mkdirSync(slot.bin, { recursive: true });
      for (const name of STUBS) symlinkSync(stub, join(slot.bin, name));
      for (const name of WRAPPERS)
        symlinkSync(join(this.root, `wrap-${name}`), join(slot.bin, name));
      // A directory of look-alikes that a snippet may put first in PATH: anything run from it is
      // a program the policy never allowed.
      mkdirSync(join(dir, EVIL_DIR));
      for (const name of STUBS) symlinkSync(stub, join(dir, EVIL_DIR, name));
      this.#slots.push(slot);
      this.#free.push(slot);
    }
    // No network for the snippets when user namespaces are available.
    const isolated = spawnSync("/usr/bin/unshare", ["-rn", "/bin/true"]).status === 0;
    this.#prefix = isolated ? ["/usr/bin/unshare", "-rn", "/bin/bash"] : ["/bin/bash"];
  }

  /**
   * Runs one snippet as `bash -c` in a fresh working directory and reports what it ran. With
   * `extglob`, bash parses `@(…)` and friends as patterns, as an agent's shell may.
   */
  async run(snippet: string, options: { readonly extglob?: boolean } = {}): Promise<SnippetRun> {
    const slot = await this.#acquire();
    try {
      this.#reset(slot);
      const timedOut = await this.#spawn(slot, snippet, options.extglob === true);
      const after = new Set(readdirSync(slot.cwd));
      return {
        execs: parseLog(readFileSync(slot.log, "utf8")),
        created: [...after].filter((name) => !FIXTURES.includes(name) && name !== EVIL_DIR),
        removed: FIXTURES.filter((name) => !after.has(name)),
        modified: FIXTURES.filter(
          (name) => after.has(name) && readFileSync(join(slot.cwd, name), "utf8") !== `${name}\n`,
        ),
        timedOut,
      };
    } finally {
      this.#release(slot);
    }
  }

  /** The directory a snippet's programs are expected to come from. */
  binOf(exec: Exec): "bin" | "other" {
    return this.#slots.some((slot) => exec.path === join(slot.bin, exec.program)) ? "bin" : "other";
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  #reset(slot: Slot): void {
    rmSync(slot.cwd, { recursive: true, force: true });
    mkdirSync(slot.cwd);
    for (const name of FIXTURES) writeFileSync(join(slot.cwd, name), `${name}\n`);
    symlinkSync(join(slot.dir, EVIL_DIR), join(slot.cwd, EVIL_DIR));
    writeFileSync(slot.log, "");
  }

  #spawn(slot: Slot, snippet: string, extglob: boolean): Promise<boolean> {
    const [command, ...prefix] = this.#prefix;
    const shopt = extglob ? ["-O", "extglob"] : [];
    const child = spawn(
      command!,
      [...prefix, "--norc", "--noprofile", ...shopt, "-c", snippet, "bash", ...HOSTILE_ARGS],
      {
        cwd: slot.cwd,
        env: { PATH: slot.bin, ...HOSTILE_ENV },
        // A fourth pipe that every descendant inherits: "close" waits for background jobs too.
        stdio: ["ignore", "pipe", "pipe", "pipe"],
        detached: true,
      },
    );
    for (const stream of [child.stdout, child.stderr, child.stdio[3] as Readable | null]) {
      stream?.resume();
    }
    return new Promise((resolve) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }, TIMEOUT_MS);
      child.on("close", () => {
        clearTimeout(timer);
        resolve(timedOut);
      });
      child.on("error", () => {
        clearTimeout(timer);
        resolve(timedOut);
      });
    });
  }

  #acquire(): Promise<Slot> {
    const slot = this.#free.pop();
    if (slot) return Promise.resolve(slot);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next) next(slot);
    else this.#free.push(slot);
  }
}

function parseLog(log: string): Exec[] {
  return log
    .split(RECORD)
    .filter((record) => record !== "")
    .map((record) => {
      const [path, ...args] = record.split(FIELD);
      const program = path!.slice(path!.lastIndexOf("/") + 1);
      return { path: path!, program, args };
    });
}

/** Quotes a word for bash so that it reads back as exactly that word. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
