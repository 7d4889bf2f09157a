import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compilePolicy, DEFAULT_PROTECTED } from "../src/compile.ts";
import { evaluate } from "../src/evaluate.ts";
import { normalizePath } from "../src/path.ts";
import { compileProtected } from "../src/protected.ts";

/**
 * Protected paths checked against the real programs: snippets that copy, move, link, unpack,
 * patch, decompress, split, check out, clone or log (ssh -E) files into home and the project are
 * decided in bypassPermissions,
 * and each one the engine allows is run by bash (real `cp`, `tar`, `unzip`, `patch`, `gzip`…)
 * in a throw-away HOME. No file matching a protected path may appear, change or go away.
 */

const SEED = Number(process.env.WARDEN_PROTECTED_SEED ?? 20_261_205);
const RUNS = Number(process.env.WARDEN_PROTECTED_RUNS ?? 600);

const has = (program: string) => spawnSync("which", [program]).status === 0;

/** Sources: a directory of dotfiles, with the spellings that copy its contents or itself. */
const SOURCES = ["dots", "dots/", "dots/.", "dots/.ssh", "dots/.config", "dots/.b*", "plain"];
/** Destinations: home in its spellings, protected directories, the project, a build directory. */
const DESTS = [
  "~",
  "~/",
  "$HOME",
  "~/.",
  "~/.ssh",
  "~/.config",
  "~/.config/",
  "~/sub",
  ".",
  "./",
  "build",
  "build/",
  ".git",
  ".git/hooks",
];

const copies = fc
  .tuple(
    fc.constantFrom("cp -r", "cp -a", "cp -R", "cp -rT", "mv", "ln -s", "ln -sfn", "cp"),
    fc.constantFrom(...SOURCES),
    fc.constantFrom(...DESTS),
  )
  .map(([program, source, dest]) => `${program} ${source} ${dest}`);

const unpacks = fc
  .tuple(
    fc.constantFrom(
      "tar -xf x.tar -C D",
      "tar -xf x.tar --one-top-level=D",
      "cd D && tar -xf ~-/x.tar",
      "unzip -oq x.zip -d D",
      "cd D && unzip -oq ~-/x.zip",
      "patch -sfp1 -d D < x.diff",
      "cd D && patch -sfp1 < ~-/x.diff",
      "cp x.gz D/.bashrc.gz && gunzip -f D/.bashrc.gz",
      "gzip -dkfc x.gz > D/.profile",
      "split -b 8 payload D/.bashr",
      "zip -q0 D/.bashrc payload",
      "touch D/.inputrc",
      "sed -i 1s/^/pwn/ D/.bashrc",
      "sort -o D/.bashrc payload",
      "cp payload D/.bashrc",
    ),
    fc.constantFrom("~", "$HOME", "~/.config", "~/sub", ".", "build", ".git"),
  )
  .map(([shape, dest]) => shape.replaceAll("D", dest));

/**
 * git rewriting a work tree and ssh writing through its options: home is a repository (a dotfiles
 * repo, and a bare one at `~/.dots`) whose committed `.bashrc` and `authorized_keys` differ from
 * the files in home, and `remotes/.gnupg` is a repository `git clone` names `.gnupg`.
 */
const gitAndSsh = fc
  .tuple(
    fc.constantFrom(
      "git -C D checkout -q -f .",
      "git -C D reset -q --hard",
      "git -C D stash -q",
      "git -C D restore :/",
      "cd D && git checkout -q -- :/",
      "git --git-dir=$HOME/.dots --work-tree=D checkout -q -f HEAD -- .",
      "GIT_DIR=$HOME/.dots GIT_WORK_TREE=D git reset -q --hard",
      "cd D && git clone -q ~-/remotes/.gnupg",
      "ssh -o BatchMode=yes -p 1 -E D/.bashrc 127.0.0.1 true",
      "ssh -o BatchMode=yes -p 1 -E D/.ssh/authorized_keys 127.0.0.1 true",
    ),
    fc.constantFrom("~", "$HOME", "~/sub", ".", "build"),
  )
  .map(([shape, dest]) => shape.replaceAll("D", dest));

const snippet = fc.oneof(copies, unpacks, gitAndSsh);

let root: string;
let template: string;

/** A project with a .git, dotfiles, and archives and a diff holding start-up files. */
function buildTemplate(dir: string): void {
  const home = join(dir, "home");
  const proj = join(dir, "proj");
  mkdirSync(join(home, ".ssh"), { recursive: true });
  mkdirSync(join(home, ".config/fish"), { recursive: true });
  mkdirSync(join(home, "sub"), { recursive: true });
  writeFileSync(join(home, ".bashrc"), "home bashrc\n");
  writeFileSync(join(home, ".ssh/authorized_keys"), "key\n");
  writeFileSync(join(home, ".config/fish/config.fish"), "fish\n");
  mkdirSync(join(proj, ".git/hooks"), { recursive: true });
  mkdirSync(join(proj, "build"), { recursive: true });
  writeFileSync(join(proj, ".git/config"), "[core]\n");
  writeFileSync(join(proj, "plain"), "plain\n");
  writeFileSync(join(proj, "payload"), "echo pwn\n");
  const dots = join(proj, "dots");
  mkdirSync(join(dots, ".ssh"), { recursive: true });
  mkdirSync(join(dots, ".config/fish"), { recursive: true });
  mkdirSync(join(dots, ".git/hooks"), { recursive: true });
  writeFileSync(join(dots, ".bashrc"), "echo pwn\n");
  writeFileSync(join(dots, ".ssh/authorized_keys"), "evil key\n");
  writeFileSync(join(dots, ".config/fish/config.fish"), "pwn\n");
  writeFileSync(join(dots, ".git/hooks/pre-commit"), "pwn\n");
  const run = (cmd: string) => spawnSync("/bin/bash", ["-c", cmd], { cwd: proj });
  run("tar -cf x.tar -C dots . && gzip -c payload > x.gz");
  if (has("zip")) run("cd dots && zip -qr ../x.zip . && cd ..");
  writeFileSync(
    join(proj, "x.diff"),
    "--- /dev/null\n+++ b/.bashrc\n@@ -0,0 +1 @@\n+echo pwn\n" +
      "--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1 @@\n+pwn\n",
  );
  chmodSync(join(proj, "payload"), 0o644);
  buildRepositories(home, proj);
}

/**
 * Home kept in git (committed start-up files that differ from home's) and a repository to clone,
 * without git's sample hooks (each run copies the template).
 */
function buildRepositories(home: string, proj: string): void {
  const git = (cwd: string, cmd: string) =>
    spawnSync("/bin/bash", ["-c", cmd], { cwd, env: { HOME: home, PATH: "/usr/bin:/bin" } });
  writeFileSync(join(home, ".gitconfig"), "[user]\n\tname = t\n\temail = t@t\n");
  writeFileSync(join(home, ".bashrc"), "echo pwn\n");
  writeFileSync(join(home, ".ssh/authorized_keys"), "evil key\n");
  git(
    home,
    "git init -q --template= && git add .bashrc .ssh && git commit -qm dots && " +
      "git clone -q --template= --bare . .dots && git -C .dots config core.bare false",
  );
  writeFileSync(join(home, ".bashrc"), "home bashrc\n");
  writeFileSync(join(home, ".ssh/authorized_keys"), "key\n");
  const remote = join(proj, "remotes/.gnupg");
  mkdirSync(remote, { recursive: true });
  writeFileSync(join(remote, "gpg-agent.conf"), "pinentry-program /tmp/pwn\n");
  git(remote, "git init -q --template= && git add . && git commit -qm gpg");
}

/** Every file and directory under `dir` with its content (directories as ""). */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) files.set(path, `-> ${readlinkSync(path)}`);
      else if (stat.isDirectory()) {
        files.set(path, "");
        walk(path);
      } else files.set(path, readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return files;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "warden-protected-oracle-"));
  template = join(root, "template");
  buildTemplate(template);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("protected paths against the real programs", () => {
  test(`snippets allowed in bypassPermissions touch no protected file (${RUNS} generated)`, () => {
    const work = join(root, "work");
    const home = join(work, "home");
    const proj = join(work, "proj");
    const context = { cwd: proj, home };
    const policy = compilePolicy({ project: { mode: "bypassPermissions", rules: [] } });
    const protectedPaths = compileProtected(DEFAULT_PROTECTED);
    // A `.git` nested below the project or home counts only where git runs in it (docs/policy.md):
    // the oracle holds the analysis to the repository's own and to everything else protected.
    const nestedGit = (path: string) => {
      const at = path.search(/\/\.git(?:\/|$)/);
      const owner = at === -1 ? undefined : path.slice(0, at);
      return owner !== undefined && owner !== proj && owner !== home;
    };
    const isProtected = (path: string) =>
      !nestedGit(path) && protectedPaths.covers(normalizePath(path, context));
    const samples = fc.sample(snippet, { seed: SEED, numRuns: RUNS });
    let allowed = 0;
    let wrote = 0;
    const failing: string[] = [];
    for (const line of samples) {
      if (
        evaluate(policy, { toolName: "Bash", input: { command: line } }, context).decision !==
        "allow"
      )
        continue;
      allowed++;
      rmSync(work, { recursive: true, force: true });
      cpSync(template, work, { recursive: true, verbatimSymlinks: true });
      const before = snapshot(work);
      spawnSync("/bin/bash", ["--norc", "--noprofile", "-c", line], {
        cwd: proj,
        env: { HOME: home, PATH: "/usr/bin:/bin" },
        timeout: 5000,
      });
      const after = snapshot(work);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter(
        (path) => before.get(path) !== after.get(path),
      );
      if (changed.length > 0) wrote++;
      const touched = changed.filter(isProtected);
      if (touched.length > 0) {
        failing.push(`${line}: ${touched.map((path) => relative(work, path)).join(", ")}`);
      }
    }
    console.info(
      `protected oracle: ${RUNS} generated, ${allowed} allowed and run by bash (${wrote} wrote ` +
        `files), ${failing.length} touched a protected path`,
    );
    // The generator must keep reaching bash with writes: asking for everything proves nothing.
    expect(allowed).toBeGreaterThan(RUNS / 10);
    expect(wrote).toBeGreaterThan(allowed / 2);
    expect(failing).toEqual([]);
  }, 300_000);
});
