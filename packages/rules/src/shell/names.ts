import { isLiteralArithmeticText } from "./arithmetic.ts";

/**
 * Variables whose value changes what a command runs or loads: the search path, the shell's own
 * start-up and prompt hooks, word splitting, and the variables through which common programs run
 * other programs or load code (pagers, editors, compilers, interpreters' option and path variables).
 */
const DANGEROUS_NAMES = new Set([
  "PATH",
  "IFS",
  "ENV",
  "HOME",
  "SHELL",
  "SHELLOPTS",
  "BASHOPTS",
  "PS0",
  "PS1",
  "PS2",
  "PS3",
  "PS4",
  "PROMPT_COMMAND",
  "CDPATH",
  "GLOBIGNORE",
  "EXECIGNORE",
  "FUNCNEST",
  "INPUTRC",
  "TMPDIR",
  "EDITOR",
  "VISUAL",
  "PAGER",
  "BROWSER",
  "LESSOPEN",
  "LESSCLOSE",
  "LESS",
  "CC",
  "CXX",
  "CPP",
  "LD",
  "AR",
  "AS",
  "NM",
  "MAKE",
  "RUSTC",
  "CLASSPATH",
  "KUBECONFIG",
  "HOSTALIASES",
  "GLIBC_TUNABLES",
  // `$"…"` strings are replaced by translations, which are then expanded like "…".
  "TEXTDOMAIN",
  "TEXTDOMAINDIR",
  // Programs' own option, start-up and tool variables: `MAKEFILES` (makefiles read first), zip's
  // and unzip's options (`ZIP='-TT cmd'`), fc's editor, psql's start-up file (`\! cmd`), a TLS
  // key log written where it names, and the tools make's rules run.
  "MAKEFILES",
  "ZIP",
  "UNZIP",
  "ZIPINFO",
  "FCEDIT",
  "PSQLRC",
  "SSLKEYLOGFILE",
  "FC",
  "F77",
  "YACC",
  "LEX",
  "M4",
  "RANLIB",
  "STRIP",
  "OBJCOPY",
  // Files and directories read as code or as a program's configuration: AWS's credentials file
  // runs its `credential_process` as the config file does, IPython's and Vim's start-up and
  // runtime directories, zsh's start-up directory, PostgreSQL's system psqlrc, and the
  // environment whose interpreter uv runs.
  "AWS_SHARED_CREDENTIALS_FILE",
  "IPYTHONDIR",
  "VIMRUNTIME",
  "ZDOTDIR",
  "PGSYSCONFDIR",
  "VIRTUAL_ENV",
  "CONDA_PREFIX",
  "HGMERGE",
  // The suffix and kind of the backups cp, mv, ln and install make (`cp -b x .bash` with
  // SIMPLE_BACKUP_SUFFIX=rc moved .bash to .bashrc).
  "SIMPLE_BACKUP_SUFFIX",
  "VERSION_CONTROL",
  // GNU programs stop reading options at the first operand: the analysis reads them as permuted.
  "POSIXLY_CORRECT",
]);

/**
 * Families of such variables, matched on the upper-cased name: besides the search paths, options
 * and hooks, programs' start-up code (`VIMINIT`, `EXINIT`, `LUA_INIT`, `PHPRC`, `R_PROFILE`), option
 * variables (`MANOPT='-P cmd'`, `ZIPOPT`), remote shells and connect programs (`RSYNC_RSH`,
 * `CVS_RSH`, `SVN_SSH`, `RSYNC_CONNECT_PROG`), OpenSSL's config and engines, less's key files
 * (`LESSKEYIN`), D-Bus addresses (`unixexec:`), modules loaded as libraries (`GTK_MODULES`),
 * yarn's settings (`YARN_YARN_PATH=./x.js` runs x.js, `YARN_RC_FILENAME` another rc file) and
 * pytest's (`PYTEST_PLUGINS` imports modules, `PYTEST_ADDOPTS=--basetemp=.git`); also, as
 * families: credential files (a `credential_process` runs), history files (written where they
 * name), external diff and merge programs (`KUBECTL_EXTERNAL_DIFF` runs on `kubectl diff`),
 * argument variables (`MAVEN_ARGS`, `TF_CLI_ARGS_plan`), programs' rc files (`IRBRC`, `GEMRC`),
 * less's options however prefixed (`SYSTEMD_LESS='+!cmd'`), the interpreter or binary a tool runs
 * (`CLOUDSDK_PYTHON=./x gcloud` runs ./x, `…_BIN`, `…_CMD`), Python and JavaScript tool
 * settings (`UV_`, `PIPENV_`, `CONDA`, `DENO_`, `BUN_`, as `PIP_` and `NPM_CONFIG_`), Go's
 * build and module caches, and the host compilers of cross builds.
 */
const DANGEROUS_PATTERN =
  /^(?:LD_|DYLD_|GIT_|NPM_CONFIG_|YARN_|PYTEST_|BASH_|PYTHON|PERL|RUBY|JAVA_|_JAVA_|JDK_|GEM_|BUNDLE_|CARGO_|RUSTUP_|PIP_|MALLOC_|XDG_|OPENSSL_|DBUS_|LESS|LUA_INIT|PHP|R_(?:PROFILE|ENVIRON|LIBS)|GO(?:ROOT|TOOLCHAIN|PROXY|ENV|BIN|WORK|EXPERIMENT|DEBUG)$)|PATH|OPTIONS|OPTS?$|FLAGS$|CONFIG|EDITOR|PAGER|SHELL|HOOK|COMMAND|WRAPPER|RUNNER|PRELOAD|ASKPASS|BROWSER$|HOME$|INIT$|(?:^|_)(?:RSH|SSH)$|(?:^|_)PROG(?:RAM)?$|WGETRC$|_MODULES$|CREDENTIALS?(?:_FILE)?$|HISTFILE$|_HISTORY$|(?:^|_)(?:EXTERNAL_)?DIFF(?:PROG)?$|(?:^|_)MERGE(?:TOOL)?$|(?:^|_)ARGS(?:_|$)|(?:IRB|GEM|PRY|HG|CONDA|SCREEN|SQLITE|MONGOSH|MYSQL|GDB)RC$|_RC(?:_?FILE)?$|LESS$|_(?:PYTHON3?|NODE|RUBY|PERL|BIN|BINARY|EXE|EXECUTABLE|INTERPRETER|CMD)$|^(?:UV|PIPENV|CONDA|DENO|BUN)_|^GO(?:CACHE|MODCACHE)$|^HOST(?:CC|CXX|LD)$|_FOR_BUILD$/;

/** Members of those families that only tune output or a build target, common before a command. */
const HARMLESS_NAMES = new Set([
  "PYTHONUNBUFFERED",
  "PYTHONDONTWRITEBYTECODE",
  "PYTHONIOENCODING",
  "PYTHONHASHSEED",
  "PYTHONUTF8",
  "PYTHONFAULTHANDLER",
]);

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAME_WITH_SUBSCRIPT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(.*)\])?$/s;

/**
 * Whether assigning (or unsetting) this variable changes what later commands run. A name that is
 * not an identifier (`BASH_FUNC_ls%%`, reachable through `env`) is treated as dangerous too.
 */
export function isDangerousName(name: string): boolean {
  if (!PLAIN_NAME.test(name)) return true;
  const upper = name.toUpperCase();
  if (HARMLESS_NAMES.has(upper)) return false;
  return DANGEROUS_NAMES.has(upper) || DANGEROUS_PATTERN.test(upper);
}

/**
 * Whether an array subscript is evaluated without running anything: `@`, `*`, or arithmetic on
 * literal numbers. Any name in an indexed array's subscript is evaluated recursively, and a value
 * such as `a[$(cmd)]` runs `cmd`, so `a[i]` is not safe even when `i` looks harmless.
 */
export function isSafeSubscript(subscript: string): boolean {
  return subscript === "@" || subscript === "*" || isLiteralArithmeticText(subscript);
}

/** What is wrong with a variable name a builtin would assign, read or unset (`a`, `a[0]`), if anything. */
export function nameProblem(text: string): "dynamic_name" | "dangerous_environment" | undefined {
  const match = NAME_WITH_SUBSCRIPT.exec(text);
  if (!match) return "dynamic_name";
  if (match[2] !== undefined && !isSafeSubscript(match[2])) return "dynamic_name";
  return isDangerousName(match[1]!) ? "dangerous_environment" : undefined;
}

/** Whether assigning `word` (`NAME=value`, as `env` or a prefix takes it) changes what runs. */
export function isDangerousAssignment(word: string): boolean {
  const eq = word.indexOf("=");
  if (eq <= 0 || word.startsWith("-")) return false;
  return isDangerousName(word.slice(0, eq).replace(/\+$/, ""));
}
