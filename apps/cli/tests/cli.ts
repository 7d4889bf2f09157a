import { spawn } from "node:child_process";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { run } from "../src/main.ts";

/** The CLI package directory; relative paths in tests resolve against it. */
export const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));

/** What one CLI run produced. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A writable that keeps everything written to it. */
export function collector(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString("utf8") });
}

/** Runs the CLI in this process with `stdin` as its input. */
export async function runCli(argv: readonly string[], stdin = ""): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await run(argv, { stdin: Readable.from([stdin]), stdout, stderr, cwd: CLI_DIR });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs the real CLI entry in a child process (`node --import tsx src/bin.ts`). */
export function spawnCli(argv: readonly string[], stdin = ""): Promise<CliResult> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/bin.ts", ...argv], {
    cwd: CLI_DIR,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(stdin);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      }),
    );
  });
}

/** Parses JSON Lines output. */
export function parseLines(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}
