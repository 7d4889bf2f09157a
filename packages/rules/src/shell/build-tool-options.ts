import { anyDynamic, NOTHING, RUNS, runsThrough, unknownWrite } from "./argument-runs.ts";
import { configSetter } from "./config-setters.ts";
import { argvLaunch, type Run, type Runner } from "./run.ts";
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
  if (args.slice(1).some((arg) => CC_RUNS.test(arg.text))) return RUNS;
  // `-o FILE` (or `-oFILE`) is the output it writes as its job.
  const placed: Arg[] = [];
  for (let index = 1; index < args.length; index++) {
    const text = args[index]!.text;
    if (text === "-o" && args[index + 1]) placed.push(args[++index]!);
    else if (text.startsWith("-o") && text.length > 2) {
      placed.push({ ...args[index]!, text: text.slice(2) });
    }
  }
  return placed.length > 0 ? { placed } : NOTHING;
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

/** `cmake -E` commands that only print or compare. */
const CMAKE_READS = new Set([
  "echo",
  "echo_append",
  "capabilities",
  "compare_files",
  "environment",
  "cat",
  "true",
  "false",
  "md5sum",
  "sha1sum",
  "sha224sum",
  "sha256sum",
  "sha384sum",
  "sha512sum",
]);

/**
 * `cmake -E` is a toolbox: `env`, `time` and `chdir DIR` run the command after them (which deny
 * rules see), and the others but printing and comparing write or remove files (`cmake -E rm -rf`).
 */
function cmake(args: readonly Arg[]): Run {
  if (anyDynamic(args)) return RUNS;
  const at = args.findIndex((arg) => arg.text === "-E");
  const tool = at === -1 ? undefined : args[at + 1]?.text;
  if (tool === undefined || CMAKE_READS.has(tool)) return NOTHING;
  let command = at + 2;
  if (tool === "chdir") command++;
  if (tool === "env") {
    while (/^(?:--unset=|--modify|--$)|^[^-=][^=]*=/.test(args[command]?.text ?? "")) command++;
  }
  if (["env", "time", "chdir"].includes(tool)) {
    return { ...RUNS, launches: argvLaunch(args.slice(command)) };
  }
  return { writes: [unknownWrite(`cmake -E ${tool}`)] };
}

/** The tools, with what to look for. */
export const BUILD_TOOLS: readonly (readonly [string, Runner])[] = [
  ["go", go],
  // `--config KEY=VALUE` or a file sets runners, wrappers and linkers; `-Z` unstable flags too.
  ["cargo", (args) => (args.some((arg) => /^-Z/.test(arg.text)) ? RUNS : CARGO(args))],
  ...["gcc", "g++", "cc", "c++", "clang", "clang++"].map((name) => [name, compiler] as const),
  ["rustc", rustc],
  ["cmake", cmake],
  ["kubectl", configSetter("kubectl", runsThrough({ short: "nloc" }, ["kubeconfig"]))],
  // `helm install|upgrade|template --post-renderer cmd` pipes the manifests through cmd.
  ["helm", runsThrough({ short: "nfo" }, ["kubeconfig", "post-renderer"])],
];
