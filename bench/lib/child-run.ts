/**
 * Runs a bench section's measurement in a child process and reads back its one JSON line: a
 * RivetKit registry keeps its process alive after shutdown, and the child gets enough libuv
 * threads for its actors. `measureInChild` is the child's side, `runInChild` the parent's.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export type Medians = Record<string, number>;
export type Measure = (options: { log: (line: string) => void }) => Promise<Medians>;

/**
 * Spawns `script` (a file that calls `measureInChild`) and resolves with its medians; its
 * progress lines that start with `<prefix>:` go to `log`.
 * @example runInChild(new URL("./mcp-bench-run.ts", import.meta.url), "mcp", log)
 */
export function runInChild(
  script: URL,
  prefix: string,
  log: (line: string) => void,
): Promise<Medians> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(script)], {
      env: { ...process.env, UV_THREADPOOL_SIZE: "64", RIVET_LOG_LEVEL: "silent", RUST_LOG: "off" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (data: Buffer) => {
      out += data.toString();
    });
    child.stderr.on("data", (data: Buffer) => {
      for (const line of data.toString().split("\n")) if (line.startsWith(`${prefix}:`)) log(line);
    });
    child.once("exit", (code) => {
      const last = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && last.startsWith("{")) resolve(JSON.parse(last) as Medians);
      else reject(new Error(`the ${prefix} bench exited with ${code}`));
    });
  });
}

/** The child's side: measures, prints one JSON line on stdout (progress on stderr), exits. */
export async function measureInChild(measure: Measure): Promise<never> {
  const result = await measure({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
