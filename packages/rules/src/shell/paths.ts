const SYSTEM_BIN_DIRS = new Set([
  "/bin",
  "/usr/bin",
  "/usr/local/bin",
  "/sbin",
  "/usr/sbin",
  "/usr/local/sbin",
  "/opt/homebrew/bin",
]);

const DEVICE_SINKS = new Set(["/dev/null", "/dev/stdout", "/dev/stderr"]);

/** How a program path is spelled: its basename and whether it lives in a standard system bin dir. */
export interface ProgramPath {
  readonly base: string;
  readonly system: boolean;
}

/** Splits a program word containing `/` into its basename and whether its dir is a system bin dir. */
export function programPath(path: string): ProgramPath | undefined {
  const slash = path.lastIndexOf("/");
  if (slash === -1 || slash === path.length - 1) return undefined;
  const dir = path.slice(0, slash);
  return { base: path.slice(slash + 1), system: SYSTEM_BIN_DIRS.has(dir) };
}

/** Whether a write to this path goes to a terminal-like stream rather than a file. */
export function isDeviceSink(path: string): boolean {
  return DEVICE_SINKS.has(path) || /^\/dev\/fd\/\d+$/.test(path);
}

/** Whether bash reads a redirection to this path as a socket: `/dev/tcp/host/port`, `/dev/udp/…`. */
export function isNetworkPath(path: string): boolean {
  return /^\/dev\/(?:tcp|udp)\//.test(path);
}

/** Whether a path is anchored (absolute or home-relative) rather than relative to the cwd. */
export function isAnchored(path: string): boolean {
  return path.startsWith("/") || path.startsWith("~");
}

/** Joins a relative path onto a dir, posix style, without normalising. */
export function joinPath(dir: string, path: string): string {
  return dir.endsWith("/") ? dir + path : `${dir}/${path}`;
}
