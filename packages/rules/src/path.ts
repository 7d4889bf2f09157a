/** What path normalisation needs to know about the session. */
export interface PathContext {
  /** The session's working directory (absolute). Relative paths resolve against it. */
  readonly cwd?: string;
  /** The user's home directory, for `~` and `$HOME`. */
  readonly home?: string;
}

/** The forms of one path value that rule globs are matched against. */
export interface NormalizedPath {
  /** Lexically normalised as given (`.`/`..`/`//` collapsed, `~` expanded when home is known). */
  readonly lexical: string;
  /** Absolute form, when the value is absolute or a cwd is known. */
  readonly absolute: string | undefined;
  /** Form relative to cwd, when the value lies inside cwd (or is relative and stays inside it). */
  readonly relative: string | undefined;
  /** `~/…` form, when the value lies inside home. */
  readonly tilde: string | undefined;
  /** Whether the session's home was known when the value was normalised. */
  readonly homeKnown: boolean;
}

/** Collapses `.`, `..` and repeated slashes without touching the file system; idempotent. */
export function normalizeSegments(path: string): string {
  if (path === "") return "";
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out.at(-1) !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(segment);
  }
  const joined = out.join("/");
  if (absolute) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** `~NAME`, `~+`, `~-`, `~1`: a tilde prefix naming a directory other than the user's own home. */
const OTHER_TILDE = /^~[^/]/;

/**
 * Whether the value names no place the engine can know: another user's home or the shell's
 * previous directory (`~root/.bashrc`, `~-/x`). Such a path is never inside the working
 * directory or home, so no allow rule or mode allows it.
 */
function isUnplaceable(path: string, home: string | undefined): boolean {
  if (!OTHER_TILDE.test(path)) return false;
  const name = path.slice(1).split("/", 1)[0]!;
  return home === undefined || home.slice(home.lastIndexOf("/") + 1) !== name;
}

function expandHome(path: string, home: string | undefined): string {
  if (home === undefined) return path;
  // `~NAME` where NAME owns the session's home (`~alice` for /home/alice) is that home.
  if (OTHER_TILDE.test(path) && !isUnplaceable(path, home)) {
    const slash = path.indexOf("/");
    return slash === -1 ? home : `${home}${path.slice(slash)}`;
  }
  const braced = "$" + "{HOME}";
  if (path === "~" || path === "$HOME" || path === braced) return home;
  for (const prefix of ["~/", "$HOME/", `${braced}/`]) {
    if (path.startsWith(prefix)) return `${home}/${path.slice(prefix.length)}`;
  }
  return path;
}

function inside(path: string, dir: string): string | undefined {
  if (path === dir) return ".";
  const base = dir.endsWith("/") ? dir : `${dir}/`;
  return path.startsWith(base) ? path.slice(base.length) : undefined;
}

const DIR_CACHE_LIMIT = 256;
const dirCache = new Map<string, string>();

let lastDir = "";
let lastNormalizedDir = "";

/** `normalizeSegments` for the session's cwd and home, which are the same on most calls. */
function normalizedDir(dir: string): string {
  if (dir === lastDir) return lastNormalizedDir;
  let result = dirCache.get(dir);
  if (result === undefined) {
    if (dirCache.size >= DIR_CACHE_LIMIT) dirCache.clear();
    result = normalizeSegments(dir);
    dirCache.set(dir, result);
  }
  lastDir = dir;
  lastNormalizedDir = result;
  return result;
}

const SLASH = 47;
const DOT = 46;
const TILDE = 126;
const DOLLAR = 36;

/** Whether a `.` at `at` starts a `.` or `..` segment (the segment starts at `at`). */
function dotSegmentAt(path: string, at: number): boolean {
  const next = path.charCodeAt(at + 1);
  if (Number.isNaN(next) || next === SLASH) return true;
  if (next !== DOT) return false;
  const after = path.charCodeAt(at + 2);
  return Number.isNaN(after) || after === SLASH;
}

/** True when `normalizeSegments` and `expandHome` would return the path unchanged. */
function isClean(path: string): boolean {
  const first = path.charCodeAt(0);
  if (Number.isNaN(first) || first === TILDE || first === DOLLAR) return false;
  if (first === DOT && dotSegmentAt(path, 0)) return false;
  if (path.charCodeAt(path.length - 1) === SLASH || path.includes("//")) return false;
  for (let at = path.indexOf("/."); at >= 0; at = path.indexOf("/.", at + 2)) {
    if (dotSegmentAt(path, at + 1)) return false;
  }
  return true;
}

/**
 * Normalises a path value from a tool call into the forms rules match against. A NUL byte ends
 * the path, as the system reads it: `secrets/key\0/../../src/x` is `secrets/key`.
 */
export function normalizePath(raw: string, context: PathContext = {}): NormalizedPath {
  const nul = raw.indexOf("\0");
  const value = nul === -1 ? raw : raw.slice(0, nul);
  const home = context.home ? normalizedDir(context.home) : undefined;
  const cwd = context.cwd?.startsWith("/") ? normalizedDir(context.cwd) : undefined;
  if (isUnplaceable(value, home)) {
    const lexical = normalizeSegments(value);
    return {
      lexical,
      absolute: undefined,
      relative: undefined,
      tilde: undefined,
      homeKnown: home !== undefined,
    };
  }
  let lexical: string;
  let absolute: string | undefined;
  let relative: string | undefined;
  if (isClean(value)) {
    // Already normal: plain string operations give what the general path below would.
    lexical = value;
    if (value.charCodeAt(0) === SLASH) {
      absolute = value;
      relative = cwd !== undefined ? inside(value, cwd) : undefined;
    } else {
      absolute = cwd === undefined ? undefined : cwd === "/" ? `/${value}` : `${cwd}/${value}`;
      relative = value;
    }
  } else {
    lexical = normalizeSegments(expandHome(value, home));
    absolute = lexical.startsWith("/")
      ? lexical
      : cwd !== undefined
        ? normalizeSegments(`${cwd}/${lexical}`)
        : undefined;
    if (absolute !== undefined && cwd !== undefined) relative = inside(absolute, cwd);
    else if (!lexical.startsWith("/") && lexical !== ".." && !lexical.startsWith("../")) {
      relative = lexical;
    }
  }
  const tildeRest =
    absolute !== undefined && home !== undefined ? inside(absolute, home) : undefined;
  const tilde = tildeRest === undefined ? undefined : tildeRest === "." ? "~" : `~/${tildeRest}`;
  return { lexical, absolute, relative, tilde, homeKnown: home !== undefined };
}

/**
 * Directories that are someone's home on common systems: `/home/NAME`, `/Users/NAME`, `/root`
 * (in any case: macOS's file system is case-insensitive, and protected paths are compared folded).
 */
const HOME_LIKE = /^(?:\/(?:var\/|usr\/)?home\/[^/]+|\/Users\/[^/]+|\/root)(?=\/|$)/iu;
/** A home written as such: `~`, `~NAME`, `$HOME`, `${HOME}`. */
const HOME_WRITTEN = /^(?:~[^/]*|\$HOME|\$\{HOME\})(?=\/|$)/u;

/**
 * The `~/…` forms a path may have when the session's home is unknown: under any home-like
 * directory, or written with `~` or `$HOME`. Deny and ask rules with `~` match these (safe side).
 */
export function homeGuesses(path: NormalizedPath): string[] {
  const guesses: string[] = [];
  for (const [text, pattern] of [
    [path.lexical, HOME_WRITTEN],
    [path.lexical, HOME_LIKE],
    [path.absolute, HOME_LIKE],
  ] as const) {
    const home = text === undefined ? undefined : pattern.exec(text)?.[0];
    if (home !== undefined) guesses.push(`~${text!.slice(home.length)}`);
  }
  return guesses;
}

/** Tidies a path glob written in a rule: `./src//**` becomes `src/**`. */
export function normalizeGlobPath(glob: string): string {
  let out = glob.replace(/\/{2,}/g, "/");
  while (out.startsWith("./")) out = out.slice(2);
  return out === "" ? "." : out;
}
