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
  /** Whether a tree written at `root` may hold a protected file (`cwd`: the session's, absolute). */
  coversTree(root: NormalizedPath, cwd: string | undefined): boolean;
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

/** Compiles the policy's protected globs (folded as the paths are). */
export function compileProtected(globs: readonly string[]): ProtectedPaths {
  const folded = globs.map(foldPathText);
  const matchers: PathMatcher[] = folded.map((glob) => compilePathGlob(glob));
  let trees: TreeTest[] | undefined;
  const any = (path: NormalizedPath) => matchers.some((matcher) => matcher(path, true));
  return {
    covers(path) {
      const f = fold(path);
      return any(f) || otherHomes(f).some(any);
    },
    coversTree(root, cwd) {
      trees ??= folded.map(treeTest);
      const f = fold(root);
      const c = cwd === undefined ? undefined : foldPathText(cwd);
      return trees.some((test) => test(f, c));
    },
  };
}
