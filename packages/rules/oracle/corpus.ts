// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not templates
/**
 * Fixed cases of the bash oracle. Every snippet the generated run ever found allowed by the
 * engine while bash ran something the policy does not allow is kept here, so it stays closed.
 */
export const BASH_ORACLE_BYPASSES: readonly string[] = [
  // The issue's own examples.
  "x='$(pwn)'; ls ${x@P}",
  "x='a[$(pwn)]'; ls $((x))",
  // Found by the oracle against the engine before this suite existed (shrunk by fast-check).
  'ls; let "$v"=1',
  "printf -v 'a[$(pwn)]' %s 1",
  "declare 'a[$(pwn)]'='$(pwn)'",
  "declare a[v]=1",
  "a[$v]=1",
  "let a[v]=1",
  '[[ -v "$v" ]]',
  "mapfile -C pwn -c 1 q < README.md",
  "PATH+=evil:$PATH; ls",
  "BASH_CMDS[ls]=evil/ls; ls",
  "for PATH in evil; do ls; done",
  "f() { local a[v]=src; ls; }; f",
  "nice -n $x ls",
  "ls $((v))",
  'ls "${v@P}"',
  "ls ${v:v}",
  "ls ${a[$u]}",
  "declare -n r=v; ls $r",
  // Found by the oracle after the first fixes: a here-doc body does not treat quotes inside
  // `\${…}` as quotes, so the parser's reading of them hid a command substitution.
  "cat <<EOF\n${x:-'$(pwn)'}\nEOF\nls",
  // Found by the oracle once it ran real sed, awk, tar and find (allowed with any arguments).
  "sed -E 'v;e pwn' README.md",
  "sed -n -e '1e pwn' README.md",
  "sed -i 's/R/pwn/;e' README.md",
  "sed -i.bak 's/a/b/' README.md",
  "sed -n $'1W out' README.md",
  "sed --expression=$'\\\\,R,e pwn' README.md",
  "awk -F: '{print | \"pwn\"}' victim",
  'awk -- \'BEGIN{printf "x" >> "out"}\'',
  // Found by a fifth attack pass: awk read by patterns missed a redirection after a string
  // holding `;` or `}`, or a print continued on the next line.
  'awk \'BEGIN{print ";" > "out"}\'',
  'awk \'{print "}" >> "out"}\' README.md',
  "awk 'BEGIN{print\\\n> \"out\"}'",
  // Python's own modules that run code from their arguments or input, and `-i` after a script.
  "python3 -m timeit -n1 -s 'import subprocess; subprocess.run([\"pwn\"])' pass",
  "python3 -i README.md <<< 'import subprocess; subprocess.run([\"pwn\"])'",
  "python3 -m code <<< 'import subprocess; subprocess.run([\"pwn\"])'",
  // perl's debugger reads its commands from the input after the script.
  "perl -d README.md <<< 'system(\"pwn\")'",
  // node preloading a module from a `data:` URL: code in the argument.
  'node --import \'data:text/javascript,import{execFileSync}from"child_process";execFileSync("pwn")\' /dev/null',
  "tar -cf - README.md | tar -x --to-command=pwn",
  "tar -I pwn -cf x.tar README.md",
  "tar cvf out.tar README.md",
  "find . -delete",
  // `set *` allowed: keyword mode and history expansion reshape later words and lines.
  "set -k; ls PATH=./evil",
  'set -H -o history\necho ";pwn"\nls !!:1:gs/"//',
  // Builtins that run a command or keep code for later, found by a sweep of every builtin and
  // option letter against bash, and programs that take code in an argument (each allowed with
  // any arguments, as `Bash(jobs *)` or `Bash(python3 *)` allows them).
  "jobs -x pwn",
  "jobs -xl -- pwn",
  "fc -e pwn",
  "shopt -so keyword; ls PATH=./evil",
  "command time -o out ls",
  "history -w out",
  "make -f - --eval $'x:\\n\\tpwn' x <<< ''",
  "make -f - CC=pwn <<'E'\nall:\n\t$(CC)\nE",
  "perl -e 'system \"pwn\"'",
  "python3 -c 'import os; os.system(\"pwn\")'",
  "python3 - <<< 'import os; os.system(\"pwn\")'",
  'node -e \'require("child_process").execSync("pwn")\'',
  "npx -c pwn",
  "npm exec -c pwn",
  "gdb -batch -ex 'shell pwn'",
  "yq -yi '.a = 1' victim",
  // Found by a grammar-based attack pass with the real programs (the fourth pass): code fed on
  // standard input past a script-looking operand, an option's value, a wrapper, a group, a pipe.
  "python3 - x <<< 'import os; os.system(\"pwn\")'",
  "python3 -W ignore <<< 'import os; os.system(\"pwn\")'",
  "python3 /dev/fd/3 3<<< 'import os; os.system(\"pwn\")'",
  "perl - x <<< 'system \"pwn\"'",
  'node - x <<< \'require("child_process").execSync("pwn")\'',
  "env -Spython3 <<< 'import os; os.system(\"pwn\")'",
  "timeout 5 python3 - x <<< 'import os; os.system(\"pwn\")'",
  "{ python3 - x; } <<< 'import os; os.system(\"pwn\")'",
  "echo 'import os; os.system(\"pwn\")' | python3",
  "make -f - x <<< $'x:\\n\\tpwn'",
  "make --file=- x <<< $'x:\\n\\tpwn'",
  "gdb -q /bin/true <<< 'shell pwn'",
  "vim -es README.md <<< '!pwn'",
  "vim README.md <<< $':!pwn\\n:qa!\\n'",
  "sqlite3 :memory: <<< '.shell pwn'",
  "tclsh <<< 'exec pwn'",
  "exec 3<<< 'import os; os.system(\"pwn\")'; python3 <&3",
  "echo 'import os; os.system(\"pwn\")' | python3 < /dev/stdin",
  "coproc { python3 -; }; echo 'import os; os.system(\"pwn\")' >&60",
  // Filters that write a file their arguments name.
  "uniq README.md out",
  "xxd README.md out",
  "shuf -o out README.md",
  "iconv -f utf8 -t ascii -o out README.md",
  "tar -cf - README.md --index-file=out -v",
  "tar -c -g out -f - README.md",
  // Build tools and clients whose options run a program (as the matching variable would).
  "gcc -wrapper pwn,x -x c -c /dev/null -o /dev/null",
  "go test -exec pwn ./...",
  "go build -toolexec=pwn .",
  "go env -w GOFLAGS=-toolexec=pwn",
  "cargo --config 'target.x86_64-unknown-linux-gnu.runner=\"pwn\"' test",
  "kubectl --kubeconfig=/dev/stdin get pods <<< 'users: [{user: {exec: {command: pwn}}}]'",
  // `set +o NAME` takes a name as `-o NAME` does, and the options after it are read.
  "set +o posix -o keyword; ls PATH=./evil",
  "set +o errexit -k; ls PATH=./evil",
  // Variables that programs read as options, start-up code or makefiles.
  "MAKEFILES=/dev/stdin make -f /dev/null x <<< $'x:\\n\\tpwn'",
  "MANOPT=-Ppwn man ls",
  "ZIPOPT='-T -TT pwn' zip x.zip README.md",
  "LUA_INIT='os.execute(\"pwn\")' lua -e 1",
  "RSYNC_RSH=pwn rsync README.md h:x",
  // git subcommands that run a command: remote-ext runs its URL.
  "git remote-ext x 'pwn %S' <<< 'connect git-upload-pack'",
  "git web--browse --cmd=pwn http://x",
  "git daemon --access-hook=pwn --inetd",
  // gawk's indirect calls and @include.
  'awk \'BEGIN { f = "sys" "tem"; @f("pwn") }\'',
  // Found by the sixth pass: sqlite3's SQL functions and statements that run or write, and a git
  // repository of the caller's choosing (its config names programs).
  "sqlite3 :memory: \"select edit('x','pwn')\"",
  "sqlite3 :memory: \"select writefile('out','x')\"",
  "sqlite3 :memory: \"attach 'out' as x\"",
  "sqlite3 :memory: \"vacuum into 'out'\"",
  "git --git-dir=evil status",
  "npm --logs-dir=out ls",
];

/** Spellings of `rm victim` that a deny on `Bash(rm *)` must catch, each of which really runs rm. */
export const DENIED_RM_CORPUS: readonly string[] = [
  "rm victim",
  "\\rm victim",
  "/bin/rm victim",
  "/usr/bin/rm victim",
  "command rm victim",
  "builtin command rm victim",
  "r''m victim",
  'r""m victim',
  "'rm' victim",
  '"rm" victim',
  "r\\m victim",
  "$'rm' victim",
  "$'\\x72m' victim",
  "env rm victim",
  "env -i PATH=$PATH rm victim",
  "env --split-str='rm victim'",
  "env -S'rm victim'",
  "nice -n 1 rm victim",
  "timeout 5 rm victim",
  "nohup rm victim",
  "time rm victim",
  "exec rm victim",
  "x=1 rm victim",
  "ls; rm victim",
  "true && rm victim",
  "false || rm victim",
  "(rm victim)",
  "{ rm victim; }",
  "if true; then rm victim; fi",
  'for f in victim; do rm "$f"; done',
  "f() { rm victim; }; f",
  "cat README.md | rm victim",
  "rm -f -- victim",
  "rm victim &",
];
