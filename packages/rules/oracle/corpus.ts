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
  "tar -cf - README.md | tar -x --to-command=pwn",
  "tar -I pwn -cf x.tar README.md",
  "tar cvf out.tar README.md",
  "find . -delete",
  // `set *` allowed: keyword mode and history expansion reshape later words and lines.
  "set -k; ls PATH=./evil",
  'set -H -o history\necho ";pwn"\nls !!:1:gs/"//',
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
