// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not templates
import fc from "fast-check";

/**
 * A generator of shell snippets built from bash's grammar: every place bash turns text into code
 * (transformations, indirection, arithmetic, subscripts, name-taking builtins, assignments), every
 * quoting style, lists, pipes, subshells, functions, here-docs, redirections and wrappers, with a
 * payload program `pwn` that must never run when the engine allows a snippet.
 */

/** Variables a snippet reads: `u`, `v`, `w`, `$2` hold hostile text, `x`, `y` what it assigns. */
const VARS = ["u", "v", "w", "x", "y", "a", "2"] as const;

/** Values a snippet may assign: each runs `pwn` wherever bash re-reads it as code or as a name. */
const PAYLOADS = [
  "$(pwn)",
  "`pwn`",
  "a[$(pwn)]",
  "x[$(pwn) ]",
  "pwn",
  "-v a[$(pwn)]",
  "-exec pwn ;",
  "-c pwn",
  "u",
  "v",
  "1",
  "src",
  "a=($(pwn))",
  "evil:/x",
] as const;

/** Words where a parser is most likely to read quoting differently from bash. */
const TRICKY = [
  "$\\\n(pwn)",
  "a#$(pwn)",
  "'\\'$(pwn)",
  "$'\\''$(pwn)'",
  '"\\""${v@P}',
  '$"$(pwn)"',
  "{$(pwn),a}",
  "~$(pwn)",
  "\\#${v@P}",
  "${x:-a}}$((v))",
  '${x:-"\'"}${v@P}',
  '"${x:-\'"\'}"$((v))',
  "$'\\x24(pwn)'",
  "\"$'$(pwn)'\"",
  "${x:-\\}${v@P}}",
  "`echo \\`pwn\\``",
  "x\\\n$((v))",
  "$${v@P}",
  "$-$((v))",
  "${#}$((v))",
] as const;

const LITERALS = ["src", "-la", "README.md", "1", "a b", "*", "{a,b}", "~", "--", "%s"] as const;

/** Expansion templates; `V` is replaced by a variable name. */
const EXPANSIONS = [
  "$V",
  '"$V"',
  "${V}",
  "${V@P}",
  '"${V@P}"',
  "${V@E}",
  "${V@Q}",
  "${V@A}",
  "${V@K}",
  "${V@a}",
  "${V@U}",
  "${!V}",
  "${!V@}",
  "${!V[@]}",
  "$((V))",
  '"$((V))"',
  "$[V]",
  "$(($V + 1))",
  "$((1+2))",
  "${a[V]}",
  "${a[$V]}",
  "${a[0]}",
  "${a[@]}",
  "${V:V}",
  "${V:1:V}",
  "${V: -1}",
  "${V:-$V}",
  "${V:=1}",
  "${V/a/b}",
  "${#V}",
  "${V^^}",
  "${V[V]}",
  "${V[@]@P}",
  "${V:-${V@P}}",
  `"\${V:-'$(pwn)'}"`,
  "${V:+$((V))}",
  "${V#$((V))}",
  "${V//a/$[V]}",
  "${a[@]:V}",
  "${@:V}",
  "${!V:-x}",
  "${#a[V]}",
  "${!a[V]}",
  '$"$V"',
  "$(( 16#ff + 0x1 ))",
  "$(( $# + $? ))",
  "$(( '1' ))",
  '$(( "V" ))',
  "$((a[0]))",
  "$((a[V]))",
  "{1..$((V))}",
  "~$V",
  "@(a|${V@P})",
  "!(x|$((V)))",
  "+(a)$V",
  "?(${!V})",
] as const;

const expansion = fc
  .tuple(fc.constantFrom(...EXPANSIONS), fc.constantFrom(...VARS))
  .map(([template, name]) => template.replaceAll("V", name));

/** Writes `text` in one of bash's quoting styles; all but `bare` and `$"…"` make it literal. */
function quote(text: string, style: number): string {
  switch (style) {
    case 0:
      return `'${text.replaceAll("'", "'\\''")}'`;
    case 1:
      return `"${text.replaceAll(/["\\`$]/g, "\\$&")}"`;
    case 2:
      return `$'${text.replaceAll(/['\\]/g, "\\$&")}'`;
    case 3:
      return `$"${text.replaceAll(/["\\`$]/g, "\\$&")}"`;
    case 4:
      return text.replaceAll(/[^A-Za-z0-9_]/g, "\\$&");
    default:
      return text;
  }
}

const quoted = (texts: fc.Arbitrary<string>) =>
  fc.tuple(texts, fc.integer({ min: 0, max: 5 })).map(([text, style]) => quote(text, style));

const payload = quoted(fc.constantFrom(...PAYLOADS));

const word = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...LITERALS) },
  { weight: 1, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 4, arbitrary: expansion },
  { weight: 2, arbitrary: payload },
  {
    weight: 1,
    arbitrary: fc.tuple(expansion, fc.constantFrom(...LITERALS)).map(([a, b]) => `${a}${b}`),
  },
);

const words = fc.array(word, { maxLength: 3 }).map((list) => list.join(" "));

const name = fc.constantFrom(
  "x",
  "y",
  "a",
  "a[0]",
  "a[x]",
  "a[$x]",
  "a[v]",
  "'a[$(pwn)]'",
  "PATH",
  "IFS",
  "BASH_ENV",
  "PS4",
  "BASH_CMDS[ls]",
  "BASH_ALIASES[ls]",
  "GIT_PAGER",
  "$w",
  '"$v"',
);

const assignmentValue = fc.oneof(
  payload,
  word,
  fc.constantFrom("evil:$PATH", "$PWD/evil", "evil/ls", "'$(pwn)'", "($u)", "(1 $v)"),
);

const assignment = fc
  .tuple(
    fc.constantFrom("x", "y", "a", "a[0]", "a[x]", "a[$v]", "PATH", "IFS", "BASH_CMDS[ls]"),
    fc.constantFrom("=", "+="),
    assignmentValue,
  )
  .map(([target, op, value]) => `${target}${op}${value}`);

/** A program the test policy allows, perhaps behind a wrapper the engine looks through. */
const allowedCommand = fc
  .tuple(
    fc.constantFrom(
      "",
      "",
      "",
      "env ",
      "env -i ",
      "command ",
      "builtin ",
      "exec ",
      "time ",
      "nice -n 1 ",
      "nice -n $x ",
      "timeout 5 ",
      "nohup ",
      "stdbuf -oL ",
      "\\",
      "x=1 ",
      "exec -a $x ",
      "command -p ",
      "env -S $x ",
      "env $x ",
      "env FOO=$v ",
      "timeout $x ",
      "builtin command ",
    ),
    fc.constantFrom("ls", "cat", "head", "wc", "echo", "printf", "true", ":", "f", "compgen"),
    words,
  )
  .map(([wrapper, program, rest]) => `${wrapper}${program} ${rest}`.trimEnd());

/** Builtins that read names, arithmetic or code out of their operands. */
const builtinCommand = fc.oneof(
  fc.tuple(name, word).map(([n, w]) => `printf -v ${n} %s ${w}`),
  fc.tuple(word, name).map(([w, n]) => `printf ${w} ${n} 1`),
  fc.tuple(name, payload).map(([n, p]) => `read ${n} <<< ${p}`),
  name.map((n) => `read -a ${n} <<< 1`),
  fc.tuple(name, assignmentValue).map(([n, v]) => `declare ${n}=${v}`),
  fc
    .tuple(fc.constantFrom("-n", "-i", "-a", "-x", ""), name, word)
    .map(([flag, n, w]) => `declare ${flag} ${n}=${w}`),
  fc.tuple(payload).map(([p]) => `declare ${p}`),
  fc.tuple(name, word).map(([n, w]) => `export ${n}=${w}`),
  fc.tuple(name, word).map(([n, w]) => `f() { local ${n}=${w}; ls; }; f`),
  fc.tuple(name, word).map(([n, w]) => `readonly ${n}=${w}`),
  word.map((w) => `let ${w}`),
  name.map((n) => `let ${n}=1`),
  name.map((n) => `unset ${n}`),
  name.map((n) => `mapfile ${n} < README.md`),
  fc.constantFrom("mapfile -C pwn -c 1 q < README.md", "readarray -t q < README.md"),
  name.map((n) => `getopts a ${n} -a`),
  fc.tuple(fc.constantFrom("test", "["), word, name).map(([t, w, n]) => {
    const body = `-v ${n} -o ${w} = 1`;
    return t === "[" ? `[ ${body} ]` : `test ${body}`;
  }),
  fc
    .tuple(fc.constantFrom("test", "["), word)
    .map(([t, w]) => (t === "[" ? `[ ${w} ]` : `test ${w}`)),
  fc.tuple(word, fc.constantFrom("-eq", "-lt", "==", "=~")).map(([w, op]) => `[[ ${w} ${op} 1 ]]`),
  name.map((n) => `[[ -v ${n} ]]`),
  word.map((w) => `(( ${w} ))`),
  fc.constantFrom("(( 1 + 2 ))", "((x))", "((x = 1))", "for ((i = 0; i < 1; i++)); do ls; done"),
  fc.constantFrom("trap pwn EXIT", "trap 'ls' EXIT", "eval pwn", "eval ls", "source /dev/null"),
  fc.tuple(name).map(([n]) => `for ${n} in evil; do ls; done`),
  fc.tuple(name).map(([n]) => `: \${${n}:=evil}`),
  fc.tuple(name, word).map(([n, w]) => `select ${n} in ${w}; do ls; break; done <<< 1`),
  fc.tuple(word).map(([w]) => `case 1 in ${w}) ls;; esac`),
  fc.tuple(word).map(([w]) => `set -- ${w}; ls \${1@P} \${!1} $(( $1 ))`),
  fc.tuple(name, word).map(([n, w]) => `command declare ${n}=${w}`),
  fc.tuple(name, word).map(([n, w]) => `builtin printf -v ${n} ${w}`),
  fc.tuple(name, word).map(([n, w]) => `typeset -a ${n}=(${w})`),
  fc.tuple(name, word).map(([n, w]) => `declare -A m; m[${w}]=1; ls \${m[${n}]}`),
  fc.tuple(name).map(([n]) => `read -p "$u" -t 1 ${n} <<< 1`),
  fc.tuple(name).map(([n]) => `exec {${n}}>/dev/null`),
  fc.tuple(name, word).map(([n, w]) => `wait -p ${n} ${w}`),
  fc.tuple(word).map(([w]) => `compgen -W ${w} x`),
  fc.constantFrom("compgen -C pwn x", "compgen -F f x", "compgen -c p", "alias ls=pwn"),
  fc.tuple(word).map(([w]) => `function f { ls ${w}; }; f`),
  fc.tuple(word).map(([w]) => `ls <<< ${w}`),
  fc.tuple(word).map(([w]) => `for x in ${w}; do ls "$x"; done`),
  fc.tuple(name).map(([n]) => `unset -v ${n}`),
  fc.tuple(word).map(([w]) => `printf -v x ${w}; ls $x`),
  fc.tuple(word).map(([w]) => `[[ ${w} ]] && [[ $(( 1 )) -eq ${w} ]]`),
);

/** Scripts for programs whose arguments can run a program or write a file. */
const SED_SCRIPTS = [
  "p",
  "s/a/b/",
  "s/E/x/g",
  "1e pwn",
  "e pwn",
  "s/.*/pwn/e",
  "s/R/pwn/;e",
  "s|[|]|x|e",
  "s/a/b/2e",
  "0~1e pwn",
  "$!N;s/\\n/ /",
  "/x/,+2d",
  "1~2{p;q}",
  "y/abc/xyz/",
  "w out",
  "s/a/b/w out",
  "1W out",
  "r README.md",
  "a\\\ntext",
  "\\,R,e pwn",
  "#n\n1e pwn",
  "1!G;h;$!d",
  "v;e pwn",
  "s/x/y/;  e pwn",
  "{e pwn\n}",
  ":a;e pwn",
  "l 5;e pwn",
  "b;e pwn",
  "a foo;e pwn",
  "r /dev/null;e pwn",
  "w /dev/stdout;e pwn",
] as const;
const AWK_PROGRAMS = [
  "{print}",
  "{print $1}",
  '$1 > 100 {print "big"}',
  'BEGIN{system("pwn")}',
  'BEGIN{x="pwn"; system(x)}',
  '{print > "out"}',
  "{print $0 > $1}",
  '{print | "pwn"}',
  'BEGIN{"pwn" | getline; print}',
  'BEGIN{printf "x" >> "out"}',
  'BEGIN{print "x" > "/dev/stdout"}',
  "{print $1 > 100}",
  'BEGIN { while (("pwn") | getline x) print x }',
  "BEGIN{print(1 > 2)}",
  'END{print length > "out"}',
  // Strings and line breaks that a reading of awk by pattern took for the statement's end.
  'BEGIN{print "}" > "out"}',
  'BEGIN{print ";" > "out"}',
  '{print /;/ > "out"}',
  'BEGIN{print\\\n> "out"}',
  'BEGIN{print "a",\n"b" >> "out"}',
] as const;
const PROGRAM_OPTIONS = [
  "sed -n",
  "sed -E",
  "sed -i",
  "sed -i.bak",
  "sed -s",
  "sed -e",
  "sed --expression",
  "sed -n -e",
  "awk",
  "awk -F:",
  "awk -v x=1",
  "awk --",
  "awk -W exec /dev/stdin <<< 'BEGIN{system(\"pwn\")}'",
] as const;

const argumentCommand = fc.oneof(
  fc
    .tuple(fc.constantFrom(...PROGRAM_OPTIONS), fc.constantFrom(...SED_SCRIPTS, ...AWK_PROGRAMS))
    .filter(
      ([options, script]) => options.startsWith("sed") === SED_SCRIPTS.includes(script as never),
    )
    .chain(([options, script]) =>
      fc
        .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom("README.md", "victim", "$x", ""))
        .map(([style, file]) => {
          const glued = options.endsWith("--expression") ? `${options}=` : `${options} `;
          return `${glued}${quote(script, style)} ${file}`.trimEnd();
        }),
    ),
  fc.constantFrom(
    "sort -o out README.md",
    "sort --output=victim README.md",
    "sort -S 1 -T . --compress-program=pwn README.md",
    "sort $x README.md",
    "tar -I pwn -cf x.tar README.md",
    "tar --use-compress-program=pwn -cf - README.md",
    "tar -cf - README.md --checkpoint=1 --checkpoint-action=exec=pwn",
    "tar -cf - README.md | tar -x --to-command=pwn",
    "tar -cf - README.md | tar -xO",
    "tar cf - README.md | tar xf - --to-command pwn",
    "tar -cf h:x README.md --rsh-command=pwn",
    "tar -cf h:x README.md",
    "tar -tf /dev/null",
    "tar -cf out.tar README.md",
    "tar cvf out.tar README.md",
    "find . -name R*",
    "find . -delete",
    "find README.md -delete",
    "find . -name victim -delete",
    "find . -fprint out",
    "find . -maxdepth 1 -fls out",
    "find . -fprintf out %p",
    "find . -exec pwn {} +",
    "find . -execdir pwn \\;",
    "find . -maxdepth 0 -ok pwn \\; <<< y",
    "find . -newer README.md -quit",
    "find -D exec . -quit",
    "uniq README.md out",
    "uniq -c README.md",
    "xxd README.md out",
    "xxd README.md",
    "shuf -o out README.md",
    "shuf --out=victim README.md",
    "iconv -f utf8 -t ascii -o out README.md",
    "tar -cf - README.md --index-file=out -v",
    "tar -c -g out -f - README.md",
    "gcc -wrapper pwn,x -x c -c /dev/null -o /dev/null",
    "gcc -x c -c /dev/null -o /dev/null",
  ),
);

/**
 * Builtins that run a command or keep code for later, and shell options that change what a later
 * line runs or where it runs: `jobs -x`, `fc`, `trap`, `complete`, `bind -x`, `shopt -o`,
 * `history -w`, the directory stack.
 */
const RUNNING_BUILTINS = [
  "jobs -x pwn",
  "jobs -lx pwn",
  "jobs -xl -- pwn %1",
  "jobs -x ls",
  "jobs $w",
  "jobs -x $w",
  "jobs -l",
  "fc -e pwn",
  "fc -e pwn -1",
  "fc -s",
  "fc -l",
  "set -o history; history -s pwn; fc -s",
  "set -o history; history -s pwn; fc -e true; fc -s",
  "set -o history; history -s 'ls; pwn'; fc -e : ; fc -s -1",
  "history -s pwn; history -w out",
  "history -a out",
  "history -w victim",
  "history -p '!!'",
  "history -r README.md",
  "trap -- pwn EXIT",
  "trap -- 'pwn' ERR; false",
  "trap -p EXIT; trap pwn DEBUG; :",
  "trap -lp -- pwn EXIT",
  "trap '' INT; trap - INT",
  "trap $w EXIT",
  "complete -C pwn ls; compgen -C pwn x",
  "complete -F f ls; complete -p",
  "complete -W '$(pwn)' ls; compgen -W '$(pwn)' x",
  "bind -x '\"\\C-a\": pwn'",
  "bind -l",
  "shopt -so keyword; ls PATH=./evil",
  "shopt -s -o keyword\nls PATH=./evil",
  "shopt -so history -o histexpand\necho x pwn\nls !!:2",
  "shopt -s expand_aliases\nalias ls=pwn\nls",
  "shopt -s globstar nullglob; ls",
  "shopt -s cdable_vars; x=evil; cd x; ls > out",
  "enable -n cd; cd evil; ls > out",
  "enable -n echo; echo > out",
  "pushd evil; ls > out",
  "pushd -n evil; pushd +1; ls > out",
  "cd evil; cd -; ls > out",
  "cd evil; popd; ls > out",
  "dirs; dirs -c; ls",
] as const;

/** Programs that take code in an argument, and package runners: real ones, behind logging wrappers. */
const CODE_PROGRAMS = [
  "make -f - --eval $'x:\\n\\tpwn' x <<< ''",
  "make -f - -E $'x:\\n\\tpwn' x <<< ''",
  "make -f - CC=pwn <<'E'\nall:\n\t$(CC)\nE",
  "make -f - X='$(shell pwn)' <<'E'\nall:\n\t: $(X)\nE",
  "make -f - V=1 <<'E'\nall:\n\t: $(V)\nE",
  "make -f /dev/null -n",
  "perl -e 'system \"pwn\"'",
  "perl -lne 'system \"pwn\"' README.md",
  "perl '-MPOSIX;system q(pwn)' /dev/null",
  "perl -Mstrict /dev/null",
  "perl /dev/null",
  "python3 -c 'import os; os.system(\"pwn\")'",
  "python3 -Ic 'import os; os.system(\"pwn\")'",
  "python3 -W ignore -c 'import os; os.system(\"pwn\")'",
  "python3 /dev/null -c 'x'",
  'node -e \'require("child_process").execSync("pwn")\'',
  'node -pe \'require("child_process").execSync("pwn")+1\'',
  'node --title t -e \'require("child_process").execSync("pwn")\'',
  "node /dev/null -e x",
  "gdb -batch -ex 'shell pwn'",
  "gdb -batch -nx",
  "yq -yi '.a = 1' victim",
  "yq -y . README.md",
  "jq -n 1",
  "npx -c pwn",
  "npx --yes pwn",
  "python3 -m timeit -n1 -s 'import subprocess; subprocess.run([\"pwn\"])' pass",
  "python3 -m cProfile -m timeit -n1 'import subprocess; subprocess.run([\"pwn\"])'",
  "python3 -i README.md <<< 'import subprocess; subprocess.run([\"pwn\"])'",
  "python3 -m code <<< 'import subprocess; subprocess.run([\"pwn\"])'",
  "perl -d README.md <<< 'system(\"pwn\")'",
  "perl -wd README.md <<E\nsystem 'pwn'\nE",
  'node --import \'data:text/javascript,import{execFileSync}from"child_process";execFileSync("pwn")\' /dev/null',
  'node -r=data:x --import=DATA:text/javascript,import{execFileSync}from"child_process";execFileSync("pwn") /dev/null',
  "npm exec -c pwn",
  "npm exec -- pwn",
  "setarch x86_64 pwn",
  "prlimit --nofile=64 pwn",
  "env -S 'pwn x'",
  "command time -o out ls",
  "env time --out=out ls",
  "command time -f %e ls",
  "python3 - <<< 'import os; os.system(\"pwn\")'",
  "perl <<'E'\nsystem 'pwn'\nE",
  "python3 /dev/stdin <<< 'import os; os.system(\"pwn\")'",
  "MAKEFILES=/dev/stdin make -f /dev/null x <<< $'x:\\n\\tpwn'",
  "MANOPT=-Ppwn make -f /dev/null",
  'awk \'BEGIN { f = "sys" "tem"; @f("pwn") }\'',
  "awk '@include \"/dev/stdin\"' <<< 'BEGIN { system(\"pwn\") }'",
  // sqlite3's SQL: edit() runs an editor, writefile/ATTACH/VACUUM INTO write; the database named
  // is created by the program's job.
  "sqlite3 :memory: \"select edit('x','pwn')\"",
  "sqlite3 :memory: \"SELECT Edit ('x', 'pwn')\"",
  "sqlite3 :memory: \"select writefile('out','x')\"",
  "sqlite3 :memory: \"attach 'out' as x\"",
  "sqlite3 :memory: \"vacuum into 'out'\"",
  "sqlite3 :memory: <<< \"select edit('x','pwn');\"",
  "sqlite3 -cmd 'select 1' out 'create table t(x)'",
  "sqlite3 out 'create table t(x)'",
  "sqlite3 :memory: 'select 1'",
  "npm --logs-dir=out ls",
  "npm ls --cache out",
] as const;

/** Shell constructs around an allowed or hostile command: redirections, aliases, functions, … */
const CONSTRUCTS = [
  "C >| out",
  "C &> out",
  "C &>> out",
  "C <> README.md",
  "C {fd}> out",
  "exec > out; C",
  "exec 3<> victim; C",
  "C > R*",
  "C > ~/x",
  "C >> $HOME",
  "C < /dev/tcp/127.0.0.1/9",
  "exec 3</dev/tcp/127.0.0.1/9; C",
  "C <<< $'\\x24(pwn)'",
  "C <<E\n$(pwn)\nE",
  'C <<"E"\n$(pwn)\nE',
  "C <<E\n${u@P}\nE",
  "shopt -s expand_aliases\nalias ls=pwn\nls; C",
  "shopt -s expand_aliases; BASH_ALIASES[ls]=pwn\nls; C",
  "ls() { pwn; }; C; ls",
  "function cat { pwn; }; C; cat",
  "cat() (pwn); C | cat",
  "command_not_found_handle() { pwn; }; nope; C",
  "enable -f ./x.so ls; C",
  "enable -n echo; C; echo",
  "builtin C",
  "command -p C",
  "exec -a ls pwn",
  "coproc C; wait",
  "coproc pwn",
  "time C",
  "! C",
  "time -p C",
  "case $(pwn) in x) C;; esac",
  "case x in $(pwn)|x) C;; esac",
  "case x in @(x|$(pwn))) C;; esac",
  "C ${x/a/$(pwn)}",
  "C ${x:-$(pwn)}",
  "C ${x:+$(pwn)}",
  "C ${x#$(pwn)}",
  "C ${x=$(pwn)}",
  "C $'$(pwn)'",
  'C $"$(pwn)"',
  "C \\\n; pwn",
  "C\r\npwn",
  "C # ; pwn",
  "C # $(pwn)",
  "C\u00a0; pwn",
  "C\u200b; pwn",
  "p\u200bwn; C",
  "C; \u0070wn",
  "source /dev/stdin <<< pwn; C",
  ". /dev/stdin <<< pwn; C",
  "hash -p ./evil/ls ls; C; ls",
  "./evil/ls; C",
  "evil/ls; C",
  "PATH=./evil ls; C",
  "C & pwn",
  "select x in a; do C; break; done <<< 1",
  "until C; do pwn; done",
  "[[ $(pwn) ]] && C",
  "C `#pwn`",
  "C $(#pwn\n)",
  "((1)) && C",
  "f() { C; }; f $(pwn)",
  "set -k; C PATH=./evil",
  "set -o keyword; env C PATH=./evil",
  "set -o history -H\necho x pwn\nC !!:2",
  "set -o history -H\necho x pwn\n!!:2; C",
  'set -H -o history\necho ";pwn"\nC !!:1:gs/"//',
  "shopt -s lastpipe; true | cd evil; C",
  "set +o posix -o keyword; C PATH=./evil",
  "set +o errexit -k; C PATH=./evil",
] as const;

/**
 * Code fed to a program on its standard input: each reader with code that runs `pwn`, behind the
 * argument shapes that still read it (`-`, `- x`, `/dev/stdin x`, an option's value) or name a
 * script instead (`x.py`, which then reads data), fed by a here-string, a here-doc, a pipe, a
 * redirected group or loop, a function's caller, or a descriptor `exec` opened, perhaps through
 * a wrapper.
 */
const STDIN_READERS: readonly (readonly [string, string, readonly string[]])[] = [
  [
    "python3",
    'import os; os.system("pwn")',
    ["", "-", "- x", "/dev/stdin x", "-W ignore", "-X dev", "-u --", "x.py", "-m json.tool"],
  ],
  ["perl", 'system "pwn"', ["", "-", "- x", "-w", "-I. -Mstrict -", "x.pl"]],
  [
    "node",
    'require("child_process").execSync("pwn")',
    ["", "-", "- x", "--input-type=commonjs", "x.js"],
  ],
  ["make", "x:\n\tpwn", ["-f - x", "x -f -", "--file=- x", "-f/dev/stdin x", "x"]],
  ["gdb", "shell pwn", ["-q -nx", "-q -nx /bin/true", "-batch -nx /bin/true"]],
  ["sqlite3", ".shell pwn", ["", ":memory:", "-bail :memory:"]],
  ["tclsh", "exec pwn", ["", "-", "x.tcl"]],
];

const stdinCode = fc
  .tuple(
    fc.constantFrom(...STDIN_READERS),
    fc.nat(),
    fc.constantFrom("", "env ", "timeout 5 ", "nice ", "command "),
    fc.integer({ min: 0, max: 8 }),
  )
  .map(([[program, code, shapes], pick, wrapper, feed]) => {
    const shape = shapes[pick % shapes.length]!;
    const reader = `${wrapper}${program} ${shape}`.trimEnd();
    const text = quote(code, 2);
    switch (feed) {
      case 0:
        return `${reader} <<< ${text}`;
      case 1:
        return `${reader} <<'E'\n${code}\nE`;
      case 2:
        return `printf '%s\\n' ${text} | ${reader}`;
      case 3:
        return `{ ${reader}; } <<< ${text}`;
      case 4:
        return `while true; do ${reader}; break; done <<< ${text}`;
      case 5:
        return `f() { ${reader}; }; f <<< ${text}`;
      case 6:
        return `exec 3<<< ${text}; ${reader} <&3`;
      case 7:
        return `printf '%s\\n' ${text} | ${reader} < /dev/stdin`;
      default:
        return `env -S '${program} ${shape}' <<< ${text}`;
    }
  });

const construct = fc
  .tuple(fc.constantFrom(...CONSTRUCTS), fc.oneof(fc.constant("ls"), fc.constant("cat README.md")))
  .map(([template, inner]) => template.replace("C", inner));

const payloadCommand = fc.constantFrom(
  "pwn",
  "rm victim",
  "$w",
  "\\pwn",
  "p''wn",
  "sh -c pwn",
  "bash $x",
  "find . $x",
  "find * -quit",
  "xargs pwn < README.md",
  "eval $u",
  ": > canary",
  "echo > canary",
  "cat README.md > canary",
);

const simple = fc.oneof(
  { weight: 6, arbitrary: allowedCommand },
  { weight: 4, arbitrary: builtinCommand },
  { weight: 2, arbitrary: assignment },
  {
    weight: 2,
    arbitrary: fc
      .tuple(assignment, allowedCommand)
      .map(([a, c]) => `${a} ${c.replace(/^exec /, "")}`),
  },
  { weight: 1, arbitrary: payloadCommand },
  { weight: 2, arbitrary: argumentCommand },
  { weight: 2, arbitrary: construct },
  { weight: 2, arbitrary: fc.constantFrom(...RUNNING_BUILTINS) },
  { weight: 2, arbitrary: fc.constantFrom(...CODE_PROGRAMS) },
  { weight: 2, arbitrary: stdinCode },
);

const REDIRECTS = ["", "", "", " 2>/dev/null", " >/dev/null", " < README.md", " 2>&1"];

/** Shapes a list of commands takes: structure around one or more simple commands. */
const structure = (inner: string, other: string, index: number): string => {
  switch (index) {
    case 0:
      return `${inner}; ${other}`;
    case 1:
      return `${inner} && ${other}`;
    case 2:
      return `${inner} || ${other}`;
    case 3:
      return `${inner} | ${other}`;
    case 4:
      return `( ${inner} )`;
    case 5:
      return `{ ${inner}; }`;
    case 6:
      return `f() { ${inner}; }; f`;
    case 7:
      return `if true; then ${inner}; fi`;
    case 8:
      return `for i in 1; do ${inner}; done`;
    case 9:
      return `case x in x) ${inner};; esac`;
    case 10:
      return `${inner} & wait`;
    case 11:
      return `${inner}\n${other}`;
    case 12:
      return `cat <<EOF\n${other}\nEOF\n${inner}`;
    case 13:
      return `cat <<'EOF'\n${other}\nEOF\n${inner}`;
    case 14:
      return `cat <<< ${quote(other, 1)}; ${inner}`;
    case 15:
      return `cat <<-'EOF' <<EOF2\n\tEOF\n${other}\nEOF\n${other}\nEOF2\n${inner}`;
    case 16:
      return `cat <<EOF\n\${x:-'${other}'} \${v#'${other}'}\nEOF\n${inner}`;
    default:
      return `! ${inner}`;
  }
};

const statement = fc
  .tuple(simple, fc.constantFrom(...REDIRECTS))
  .map(([command, redirect]) => command + redirect);

/** A snippet: up to three layers of structure over simple commands. */
export const snippet: fc.Arbitrary<string> = fc
  .tuple(
    statement,
    fc.array(fc.tuple(fc.integer({ min: 0, max: 17 }), statement), { maxLength: 3 }),
  )
  .map(([first, layers]) =>
    layers.reduce((inner, [shape, other]) => structure(inner, other, shape), first),
  );
