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

function expandHome(path: string, home: string | undefined): string {
  if (home === undefined) return path;
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

/** Normalises a path value from a tool call into the forms rules match against. */
export function normalizePath(value: string, context: PathContext = {}): NormalizedPath {
  const home = context.home ? normalizeSegments(context.home) : undefined;
  const cwd = context.cwd?.startsWith("/") ? normalizeSegments(context.cwd) : undefined;
  const lexical = normalizeSegments(expandHome(value, home));
  const absolute = lexical.startsWith("/")
    ? lexical
    : cwd !== undefined
      ? normalizeSegments(`${cwd}/${lexical}`)
      : undefined;
  let relative: string | undefined;
  if (absolute !== undefined && cwd !== undefined) relative = inside(absolute, cwd);
  else if (!lexical.startsWith("/") && lexical !== ".." && !lexical.startsWith("../")) {
    relative = lexical;
  }
  const tildeRest =
    absolute !== undefined && home !== undefined ? inside(absolute, home) : undefined;
  const tilde = tildeRest === undefined ? undefined : tildeRest === "." ? "~" : `~/${tildeRest}`;
  return { lexical, absolute, relative, tilde };
}

/** Tidies a path glob written in a rule: `./src//**` becomes `src/**`. */
export function normalizeGlobPath(glob: string): string {
  let out = glob.replace(/\/{2,}/g, "/");
  while (out.startsWith("./")) out = out.slice(2);
  return out === "" ? "." : out;
}
