// Drives the real `warden approve` process in a pseudo-terminal against a real Warden server.
import { policySource } from "@warden/rules";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import xterm from "@xterm/headless";
import { type IPty, spawn } from "node-pty";
import { CLI_DIR } from "./cli.ts";

const COLS = 120;
const ROWS = 50;

/** Keys as a terminal sends them. */
export const KEY = {
  up: "\x1b[A",
  down: "\x1b[B",
  enter: "\r",
  escape: "\x1b",
} as const;

/** The test tokens: an agent and two approvers of project `demo`. */
export const TOKENS: Record<
  string,
  { id: string; role: "agent" | "approver"; projects: string[] }
> = {
  "agent-token": { id: "agent-1", role: "agent", projects: ["demo"] },
  "alice-token": { id: "alice", role: "approver", projects: ["demo"] },
  "bob-token": { id: "bob", role: "approver", projects: ["demo"] },
};

/** A Warden server on its own engine: reads allowed, `rm` denied, everything else asks. */
export function startServer(): Promise<TestWarden> {
  return startTestWarden({
    tokens: TOKENS,
    policy: {
      defaultProject: policySource({
        rules: [
          { tool: "Read", behavior: "allow" },
          { tool: "Bash(rm *)", behavior: "deny", message: "No deleting." },
        ],
      }),
    },
  });
}

/** The environment of the child: no CI variables (a terminal app must not think it runs in CI). */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name === "CI" || name.startsWith("CI_")) continue;
    if (name === "CONTINUOUS_INTEGRATION" || name === "EDITOR" || name === "VISUAL") continue;
    env[name] = value;
  }
  return { ...env, TERM: "xterm-256color", FORCE_COLOR: "1", ...extra };
}

/** A running approver: its screen as text, keys to press, and its exit. */
export class Approver {
  readonly #pty: IPty;
  readonly #term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  #output = "";
  readonly exited: Promise<number>;

  /**
   * `command` runs the approver another way than `node --import tsx src/bin.ts` in apps/cli,
   * e.g. `pnpm -s warden approve` from the repository root, as the README says.
   */
  constructor(
    args: readonly string[],
    env: Record<string, string>,
    command?: { readonly file: string; readonly args: readonly string[]; readonly cwd: string },
  ) {
    const file = command?.file ?? process.execPath;
    const fullArgs = [...(command?.args ?? ["--import", "tsx", "src/bin.ts"]), "approve", ...args];
    this.#pty = spawn(file, fullArgs, {
      name: "xterm-256color",
      cols: COLS,
      rows: ROWS,
      cwd: command?.cwd ?? CLI_DIR,
      env: childEnv(env),
    });
    this.#pty.onData((data) => {
      this.#output += data;
      this.#term.write(data);
    });
    this.exited = new Promise((resolve) => this.#pty.onExit(({ exitCode }) => resolve(exitCode)));
  }

  /** Everything the process wrote, escape sequences included. */
  get output(): string {
    return this.#output;
  }

  /** The visible screen, one string per row, trailing blanks trimmed. */
  screen(): string {
    const buffer = this.#term.buffer.active;
    const lines: string[] = [];
    for (let row = 0; row < ROWS; row++) {
      lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? "");
    }
    return lines.join("\n").replace(/\n+$/, "");
  }

  /** The screen row that shows the selection marker. */
  selectedLine(): string | undefined {
    return this.screen()
      .split("\n")
      .find((line) => line.startsWith("› "));
  }

  /** Waits until the screen matches; fails with the screen when it does not in time. */
  async waitFor(
    expected: string | RegExp | ((screen: string) => boolean),
    timeoutMs = 30_000,
  ): Promise<string> {
    const matches = (screen: string) =>
      typeof expected === "string"
        ? screen.includes(expected)
        : expected instanceof RegExp
          ? expected.test(screen)
          : expected(screen);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (matches(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`the screen never showed ${String(expected)}; it shows:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Types keys as a person would: one at a time (a text is typed character by character), so
   * that the terminal never delivers two keys in one read.
   */
  async press(...keys: string[]): Promise<void> {
    for (const key of keys) {
      const special = Object.values(KEY).includes(key as never);
      // A key right after typed text can reach the app in the same read as the last character.
      if (special) await new Promise((resolve) => setTimeout(resolve, 150));
      const parts = special ? [key] : [...key];
      for (const part of parts) {
        this.#pty.write(part);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    }
  }

  /**
   * Writes `keys` to the terminal in one write, so the app reads them together, as it does a
   * paste or keys typed while the machine is loaded.
   */
  write(keys: string): void {
    this.#pty.write(keys);
  }

  /** Quits with `q` and waits for the exit code; kills the process if it does not exit. */
  async quit(): Promise<number> {
    await this.press("q");
    const timer = setTimeout(() => this.#pty.kill(), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    try {
      this.#pty.kill();
    } catch {
      // already gone
    }
  }
}

/** Starts `warden approve --project demo` for a token against a server. */
export function startApprover(
  endpoint: string,
  token: string,
  extra: {
    args?: readonly string[];
    env?: Record<string, string>;
    command?: ConstructorParameters<typeof Approver>[2];
  } = {},
): Approver {
  return new Approver(
    ["--project", "demo", ...(extra.args ?? [])],
    { WARDEN_ENDPOINT: endpoint, WARDEN_TOKEN: token, ...extra.env },
    extra.command,
  );
}
