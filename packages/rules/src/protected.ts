import { compileGlob, type Matcher } from "./glob.ts";
import { compilePathGlob, type PathMatcher, pathGlobForm } from "./match.ts";
import { homeGuesses, type NormalizedPath, normalizeGlobPath } from "./path.ts";

/**
 * Protected paths as the mode checks see them. Matching more is the safe side here (a match only
 * makes a call ask), so a path is compared in every spelling that may reach the same file:
 *
 * - case and Unicode normalisation folded: macOS and Windows file systems are case-insensitive by
 *   default and APFS/HFS+ do not tell NFC from NFD, so `~/.BASHRC` or an NFD spelling is the same
 *   file there. The attacker picks the spelling; folding only makes more things ask.
 * - under another user's home: `~root/.bashrc`, `/root/.bashrc`, `/home/alice/.ssh/x` are someone's
 *   start-up files even when the session's home is elsewhere (a shared machine, sudo, a container
 *   where the agent runs as root), so `~/…` entries also match under every home-like directory.
 * - a directory tree written at a root (`cp -r dir/. ~`, `tar -x -C ~`, `rsync -a d/ ~/`) may hold
 *   any file: it is protected when a protected file may lie under the root.
 */
export interface ProtectedPaths {
  /** Whether writing `path` touches a protected file. */
  covers(path: NormalizedPath): boolean;
  /**
   * Whether a tree written at `root` may hold a protected file (`cwd`: the session's, absolute).
   * For a git work tree (`workTree`) only entries anchored at home or the root count: git refuses
   * to check out any `.git` path component, and the project's own files are what its checkout is for.
   */
  coversTree(root: NormalizedPath, cwd: string | undefined, workTree?: boolean): boolean;
  /**
   * Whether a write whose target is a glob (`~/.ss?/authorized_keys`, `/home/al?ce/.bashrc`) may
   * expand to a file under a protected entry anchored at home or the root, segment by segment.
   */
  coversGlob(target: NormalizedPath): boolean;
}

/** Only ASCII: no normalisation to do, and `toLowerCase` is the whole fold. */
const NOT_ASCII = /[^ -~]/;

/** Case and normalisation folded: `ſ`→`s`, `K` (Kelvin)→`k`, NFD→NFC. */
export function foldPathText(text: string): string {
  if (!NOT_ASCII.test(text)) return text.toLowerCase();
  return text.normalize("NFC").toUpperCase().toLowerCase().normalize("NFC");
}

function fold(path: NormalizedPath): NormalizedPath {
  const f = (text: string | undefined) => (text === undefined ? undefined : foldPathText(text));
  return {
    lexical: foldPathText(path.lexical),
    absolute: f(path.absolute),
    relative: f(path.relative),
    tilde: f(path.tilde),
    homeKnown: path.homeKnown,
  };
}

/** The `~/…` spellings of a path under any home-like directory (`/root/x`, `~alice/x`). */
function otherHomes(path: NormalizedPath): NormalizedPath[] {
  return homeGuesses(path).map((tilde) => ({
    lexical: tilde,
    absolute: undefined,
    relative: undefined,
    tilde,
    homeKnown: true,
  }));
}

/** Whether a tree rooted at a path with these segments may hold a match of the glob's segments. */
type TreeTest = (root: NormalizedPath, cwd: string | undefined) => boolean;

function segmentsMayHold(glob: readonly (Matcher | "**")[], root: readonly string[]): boolean {
  for (let index = 0; index < root.length; index++) {
    const segment = glob[index];
    // Deeper than the glob: the root is inside a match, which `covers` decides.
    if (segment === undefined) return false;
    if (segment === "**") return true;
    if (!segment(root[index]!)) return false;
  }
  return true;
}

/** Directories that hold homes (`tar -x -C /home` may bring `/home/dev/.bashrc`). */
const HOLDS_HOMES = /^\/(?:(?:var|usr)(?:\/home)?|home|Users)?$/i;

function treeTest(glob: string): TreeTest {
  const clean = normalizeGlobPath(glob);
  const form = pathGlobForm(clean);
  // A brace may hold a `/`: cut the glob at its first special character and let the rest be `**`.
  const special = clean.search(/[{}\\]/);
  const cut = special === -1 ? clean : `${clean.slice(0, clean.lastIndexOf("/", special) + 1)}**`;
  const segments = cut
    .split("/")
    .map((s) => (s === "**" ? ("**" as const) : compileGlob(s, "path")));
  const containsCwd = (root: NormalizedPath, cwd: string | undefined) => {
    if (root.absolute !== undefined && cwd !== undefined) {
      return root.absolute === "/" || cwd === root.absolute || cwd.startsWith(`${root.absolute}/`);
    }
    return root.lexical === "." || root.lexical === ".." || root.lexical.startsWith("../");
  };
  if (form === "tilde") {
    return (root) =>
      HOLDS_HOMES.test(root.absolute ?? root.lexical) ||
      [root.tilde, ...homeGuesses(root)].some(
        (text) => text !== undefined && segmentsMayHold(segments, text.split("/")),
      );
  }
  if (form === "absolute") {
    return (root) => {
      const text = root.absolute ?? (root.lexical.startsWith("/") ? root.lexical : undefined);
      return text !== undefined && segmentsMayHold(segments, text === "/" ? [""] : text.split("/"));
    };
  }
  // `**/.git/**` and the like may be anywhere: a tree is taken to bring one where it counts, in
  // the working directory or above it (the project's own `.git`, `.warden`).
  if (form === "anywhere") return containsCwd;
  return (root, cwd) =>
    containsCwd(root, cwd) ||
    (root.relative !== undefined && segmentsMayHold(segments, root.relative.split("/")));
}

const GLOB_CHARS = /[*?[]/;

/** Whether two path segments, either a glob, may name the same file. */
function mayMeet(written: string, entry: Matcher | "**", entryText: string): boolean {
  if (entry === "**" || written === "**") return true;
  if (!GLOB_CHARS.test(written)) return entry(written);
  if (!GLOB_CHARS.test(entryText) && !/[{}\\]/.test(written)) {
    return compileGlob(written, "path")(entryText);
  }
  return true;
}

type GlobTest = (target: NormalizedPath) => boolean;

function globTest(glob: string): GlobTest {
  const clean = normalizeGlobPath(glob);
  const form = pathGlobForm(clean);
  if (form !== "tilde" && form !== "absolute") return () => false;
  const texts = clean.split("/");
  const segments = texts.map((s) => (s === "**" ? ("**" as const) : compileGlob(s, "path")));
  const meets = (written: readonly string[]) => {
    for (let index = 0; ; index++) {
      const entry = segments[index];
      const segment = written[index];
      if (entry === "**") return true;
      if (entry === undefined || segment === undefined) return entry === segment;
      if (!mayMeet(segment, entry, texts[index]!)) return false;
    }
  };
  return (target) => {
    const candidates =
      form === "tilde"
        ? [target.tilde, ...homeGuesses(target)]
        : [target.absolute ?? (target.lexical.startsWith("/") ? target.lexical : undefined)];
    return candidates.some((text) => text !== undefined && meets(text.split("/")));
  };
}

/** Whether a protected glob is anchored at home or the root (not the project's, not anywhere). */
function anchored(glob: string): boolean {
  const form = pathGlobForm(normalizeGlobPath(glob));
  return form === "tilde" || form === "absolute";
}

/** Compiles the policy's protected globs (folded as the paths are). */
export function compileProtected(globs: readonly string[]): ProtectedPaths {
  const folded = globs.map(foldPathText);
  const matchers: PathMatcher[] = folded.map((glob) => compilePathGlob(glob));
  let trees: TreeTest[] | undefined;
  let anchors: boolean[] | undefined;
  let globTests: GlobTest[] | undefined;
  const any = (path: NormalizedPath) => matchers.some((matcher) => matcher(path, true));
  return {
    covers(path) {
      const f = fold(path);
      return any(f) || otherHomes(f).some(any);
    },
    coversTree(root, cwd, workTree = false) {
      trees ??= folded.map(treeTest);
      anchors ??= folded.map(anchored);
      const f = fold(root);
      const c = cwd === undefined ? undefined : foldPathText(cwd);
      return trees.some((test, index) => (!workTree || anchors![index]!) && test(f, c));
    },
    coversGlob(target) {
      globTests ??= folded.map(globTest);
      const f = fold(target);
      return globTests.some((test) => test(f));
    },
  };
}
