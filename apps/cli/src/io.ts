import type { Readable, Writable } from "node:stream";

/** The streams a command reads and writes, so tests can run the CLI in-process. */
export interface Io {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Directory that relative file arguments resolve against; defaults to `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * Writes text; when the stream's buffer is full, returns a promise that settles on `drain`
 * (or `close`/`error`), so a producer can `await` only when it must.
 */
export function write(stream: Writable, text: string): Promise<void> | undefined {
  if (stream.write(text) || stream.destroyed) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      for (const event of ["drain", "close", "error"]) stream.off(event, done);
      resolve();
    };
    for (const event of ["drain", "close", "error"]) stream.once(event, done);
  });
}
