import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";
import { type NormalizedPath, normalizePath, normalizeSegments, type PathContext } from "./path.ts";

describe("normalizePath", () => {
  const context = { cwd: "/repo", home: "/home/dev" };
  test.each([
    ["src/../.env", { relative: ".env", absolute: "/repo/.env" }],
    ["./src//a/./b", { relative: "src/a/b", absolute: "/repo/src/a/b" }],
    ["/repo/src/x", { relative: "src/x", absolute: "/repo/src/x" }],
    ["../outside", { relative: undefined, absolute: "/outside" }],
    ["/etc/hosts", { relative: undefined, absolute: "/etc/hosts" }],
    ["~/.ssh/id", { absolute: "/home/dev/.ssh/id", tilde: "~/.ssh/id" }],
    ["$HOME/.ssh/id", { absolute: "/home/dev/.ssh/id", tilde: "~/.ssh/id" }],
    ["/../../etc", { absolute: "/etc" }],
    // Another user's home, the shell's other directories: no place the engine can know.
    ["~root/.bashrc", { relative: undefined, absolute: undefined, tilde: undefined }],
    ["~-/x", { relative: undefined, absolute: undefined, tilde: undefined }],
    ["~+/src/x", { relative: undefined, absolute: undefined, tilde: undefined }],
    ["~1/x", { relative: undefined, absolute: undefined, tilde: undefined }],
    ["~dev/.ssh/id", { absolute: "/home/dev/.ssh/id", tilde: "~/.ssh/id" }],
    ["~dev", { absolute: "/home/dev", tilde: "~" }],
    // A NUL ends the path as the system reads it.
    ["secrets/key\0/../../src/x", { relative: "secrets/key", absolute: "/repo/secrets/key" }],
    ["src/\0", { relative: "src", absolute: "/repo/src" }],
  ])("%s", (input, expected) => {
    expect(normalizePath(input, context)).toMatchObject(expected);
  });

  test("another user's home is never a place an allow rule or a mode can allow", () => {
    const policy = compilePolicy({
      project: { mode: "acceptEdits", rules: [{ tool: "Write(src/**)", behavior: "allow" }] },
    });
    const write = (file_path: string) =>
      evaluate(policy, { toolName: "Write", input: { file_path } }, context).decision;
    expect(write("src/a.ts")).toBe("allow");
    expect(write("~dev/../../repo/src/a.ts")).toBe("allow");
    for (const path of ["~root/.bashrc", "~-/x", "~+/src/x", "~2/src/x", "~nobody"]) {
      expect(write(path)).toBe("ask");
    }
    expect(write("~dev/.bashrc")).toBe("ask");
  });

  test("without a cwd, relative paths stay relative and never escape", () => {
    expect(normalizePath("src/../../x").relative).toBeUndefined();
    expect(normalizePath("src/./a").relative).toBe("src/a");
  });
});

test("normalisation is idempotent", () => {
  const segment = fc.constantFrom("a", "b", ".", "..", "", "~", "é", "x y");
  const path = fc
    .tuple(fc.boolean(), fc.array(segment, { maxLength: 8 }))
    .map(([abs, parts]) => (abs ? "/" : "") + parts.join("/"));
  fc.assert(
    fc.property(path, (p) => {
      const once = normalizeSegments(p);
      expect(normalizeSegments(once)).toBe(once);
    }),
    { numRuns: 2000 },
  );
});

/** The general algorithm, without the fast path for already-clean paths. */
function normalizeSlowly(value: string, context: PathContext): NormalizedPath {
  const inside = (path: string, dir: string) => {
    if (path === dir) return ".";
    const base = dir.endsWith("/") ? dir : `${dir}/`;
    return path.startsWith(base) ? path.slice(base.length) : undefined;
  };
  const home = context.home ? normalizeSegments(context.home) : undefined;
  const cwd = context.cwd?.startsWith("/") ? normalizeSegments(context.cwd) : undefined;
  const braced = "$" + "{HOME}";
  let expanded = value;
  if (home !== undefined) {
    if (value === "~" || value === "$HOME" || value === braced) expanded = home;
    for (const prefix of ["~/", "$HOME/", `${braced}/`]) {
      if (value.startsWith(prefix)) expanded = `${home}/${value.slice(prefix.length)}`;
    }
  }
  const lexical = normalizeSegments(expanded);
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
  const rest = absolute !== undefined && home !== undefined ? inside(absolute, home) : undefined;
  const tilde = rest === undefined ? undefined : rest === "." ? "~" : `~/${rest}`;
  return { lexical, absolute, relative, tilde, homeKnown: home !== undefined };
}

test("the fast path for clean paths gives what the general algorithm gives", () => {
  const segment = fc.constantFrom(
    "a",
    "b.ts",
    ".",
    "..",
    "",
    "~",
    ".env",
    "..x",
    "x..",
    "$HOME",
    "é",
  );
  const path = fc
    .tuple(fc.constantFrom("", "/", "~/", "$HOME/", "./"), fc.array(segment, { maxLength: 5 }))
    .map(([start, parts]) => start + parts.join("/"));
  const context = fc.record(
    {
      cwd: fc.constantFrom("/repo", "/", "/repo/", "/a/../repo", "repo", "//repo"),
      home: fc.constantFrom("/home/dev", "/repo", "/", "/home/dev/"),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(path, context, (value, ctx) => {
      expect(normalizePath(value, ctx)).toEqual(normalizeSlowly(value, ctx));
    }),
    { numRuns: 5000 },
  );
});
