import { describe, expect, it } from "vitest";
import { DEFAULT_PROTECTED } from "./compile.ts";
import { normalizePath } from "./path.ts";
import { compileProtected, foldPathText } from "./protected.ts";

const context = { cwd: "/home/dev/repo", home: "/home/dev" };
const protectedPaths = compileProtected([...DEFAULT_PROTECTED, "~/Café/**", "/srv/Policy.yaml"]);
const covers = (path: string, ctx: object = context) =>
  protectedPaths.covers(normalizePath(path, ctx));
const coversTree = (root: string, ctx: { cwd?: string; home?: string } = context) =>
  protectedPaths.coversTree(normalizePath(root, ctx), ctx.cwd);

describe("protected paths", () => {
  it("fold case and Unicode normalisation: the file system may not tell them apart", () => {
    for (const path of [
      "~/.BASHRC",
      "/home/dev/.Bashrc",
      "~/.SSH/authorized_keys",
      "/home/dev/repo/.GIT/hooks/pre-commit",
      "~/.config/Fish/config.fish",
      "~/.rprofile",
      "~/Cafe\u0301/x", // NFD against an NFC glob
      "/srv/policy.YAML",
      "~/.\u212Aube/config", // KELVIN SIGN: case folding makes it k
    ]) {
      expect(covers(path), path).toBe(true);
    }
    expect(foldPathText("~/.ba\u017Fhrc")).toBe("~/.bashrc");
    expect(covers("~/.ba\u017Fhrc")).toBe(true);
  });

  it("cover another user's home: ~NAME, /root, /home/NAME, /Users/NAME", () => {
    for (const path of [
      "~root/.bashrc",
      "/root/.bashrc",
      "/home/alice/.ssh/authorized_keys",
      "/Users/alice/.zshrc",
      "~alice/.gitconfig",
      "/var/home/bob/.profile",
    ]) {
      expect(covers(path), path).toBe(true);
    }
  });

  it("leave ordinary files alone, a dotfile of the project included", () => {
    for (const path of [
      "/home/dev/repo/src/x.ts",
      "/home/dev/repo/.profile",
      "~/notes/.bashrc",
      "/tmp/.bashrc",
      "/home/alice/src/x",
    ]) {
      expect(covers(path), path).toBe(false);
    }
  });

  it("see a tree written where a protected file may lie under it", () => {
    for (const root of [
      "~",
      "~/",
      "/home/dev",
      "~/.config",
      "~/.ssh",
      "~/.local",
      "~/.ipython/profile_default",
      "/",
      "/etc",
      "/home/alice",
      "/root",
      ".", // the project's own .git
      "..",
      "/home",
      "~/.CONFIG",
    ]) {
      expect(coversTree(root), root).toBe(true);
    }
  });

  it("leave trees elsewhere alone", () => {
    for (const root of ["build", "/tmp/x", "~/Downloads/x", "~/repo2", "/etc/nginx", "src/.git2"]) {
      expect(coversTree(root), root).toBe(false);
    }
  });

  it("meet a glob written to segment by segment", () => {
    const glob = (path: string) => protectedPaths.coversGlob(normalizePath(path, context));
    for (const path of [
      "~/.ss?/authorized_keys",
      "/home/*/.bashrc",
      "~/.config/*/config.fish",
      "~/*rc",
    ]) {
      expect(glob(path), path).toBe(true);
    }
    for (const path of ["~/notes/*.txt", "/tmp/*.log", "~/.local/lib/*/x.py", "~/.sh*/x"]) {
      expect(glob(path), path).toBe(false);
    }
  });

  it("see in a git work tree only what is anchored at home or the root (git refuses .git paths)", () => {
    const workTree = (root: string, ctx: { cwd?: string; home?: string } = context) =>
      protectedPaths.coversTree(normalizePath(root, ctx), ctx.cwd, true);
    for (const root of ["~", "/home/dev", "/", "/home", "~/.config", "/etc"]) {
      expect(workTree(root), root).toBe(true);
    }
    expect(workTree(".", { cwd: "/home/dev", home: "/home/dev" })).toBe(true);
    for (const root of [".", "/home/dev/repo", "~/src/x", "build", "src/.git2"]) {
      expect(workTree(root), root).toBe(false);
    }
    // The same project root as a plain tree may bring `.git/hooks`.
    expect(coversTree(".")).toBe(true);
  });

  it("take a relative tree root with no known working directory as the project's", () => {
    expect(coversTree(".", {})).toBe(true);
    expect(coversTree("build", {})).toBe(false);
  });
});
