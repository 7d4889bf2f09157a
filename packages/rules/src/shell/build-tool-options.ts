import { anyDynamic, NOTHING, RUNS, runsThrough } from "./argument-runs.ts";
import { configSetter } from "./config-setters.ts";
import type { Run, Runner } from "./run.ts";
import type { Arg } from "./words.ts";

/**
 * Build tools and clients whose options run a program of the caller's choosing, as the variable
 * with the same effect does (`GOFLAGS`, `RUSTC_WRAPPER`, `KUBECONFIG` are dangerous names):
 * `go test -exec cmd`, `go build -toolexec cmd`, `cargo --config target.X.runner=cmd test`,
 * `gcc -wrapper cmd`, `kubectl --kubeconfig FILE` (a kubeconfig names exec credential plugins).
 */

/** go's flags that name a program to run (single dash or double, `=value` or the next word). */
const GO_RUNS = /^--?(?:exec|toolexec|vettool)(?:=|$)/;

/** `go env -w`/`-u` writes go's own configuration (`GOFLAGS=-toolexec=cmd`) for later commands. */
function go(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  if (args.slice(1).some((arg) => GO_RUNS.test(arg.text))) return RUNS;
  const writesEnv =
    args[1]?.text === "env" && args.slice(2).some((arg) => /^--?[wu](?:=|$)/.test(arg.text));
  return writesEnv ? { reason: "dangerous_environment" } : NOTHING;
}

/**
 * C compilers run a wrapper (`-wrapper sh,-c,cmd`), tools from a directory (`-B dir`), a linker
 * by path (`--ld-path`, `-fuse-ld=/path`), load plugins (`-fplugin=x.so`, `-Xclang -load`), and
 * specs files (which run commands).
 */
const CC_RUNS =
  /^(?:-wrapper|-B|-fplugin|-fpass-plugin|--?specs|--ld-path|-fuse-ld=.*\/|-Xclang$|-load$|-Xlinker$|-Wl,.*plugin|--plugin)/;

function compiler(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  return args.slice(1).some((arg) => CC_RUNS.test(arg.text)) ? RUNS : NOTHING;
}

/** rustc's codegen options name a linker and its flavor (`-C linker=cmd`). */
function rustc(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const runs = args.slice(1).some((arg, index, rest) => {
    const value = arg.text === "-C" || arg.text === "--codegen" ? rest[index + 1]?.text : undefined;
    const option = value ?? arg.text.replace(/^(?:-C|--codegen=?)/, "");
    return /^(?:linker|link-arg|link-args|llvm-args|passes)=/.test(option) || /^-Z/.test(arg.text);
  });
  return runs ? RUNS : NOTHING;
}

const CARGO = runsThrough({ short: "pjF" }, ["config"]);

/** The tools, with what to look for. */
export const BUILD_TOOLS: readonly (readonly [string, Runner])[] = [
  ["go", go],
  // `--config KEY=VALUE` or a file sets runners, wrappers and linkers; `-Z` unstable flags too.
  ["cargo", (args) => (args.some((arg) => /^-Z/.test(arg.text)) ? RUNS : CARGO(args))],
  ...["gcc", "g++", "cc", "c++", "clang", "clang++"].map((name) => [name, compiler] as const),
  ["rustc", rustc],
  ["kubectl", configSetter("kubectl", runsThrough({ short: "nloc" }, ["kubeconfig"]))],
  // `helm install|upgrade|template --post-renderer cmd` pipes the manifests through cmd.
  ["helm", runsThrough({ short: "nfo" }, ["kubeconfig", "post-renderer"])],
];
