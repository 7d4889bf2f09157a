import { compilePathGlob } from "./match.ts";
import { normalizePath, type PathContext } from "./path.ts";
import type { ToolKind } from "./schema.ts";

/** What a path glob may cover that an approver should know about. */
export type PathBreadthCode = "filesystem_root" | "home_directory" | "secrets" | "system_directory";

/** One finding of `assessPathGlob`. */
export interface PathBreadth {
  readonly code: PathBreadthCode;
  readonly severity: "danger" | "broad";
  readonly message: string;
}

type Probe = readonly [path: string, kind: "secret" | "startup" | "home" | "system" | "other"];

/**
 * Real files that matter, as probes: a glob that matches one of them covers it. `~` is the
 * session's home (or the home the glob names, or `/home/user`); relative ones are in the project.
 */
export const PATH_PROBES: readonly Probe[] = [
  ["~/.ssh/id_ed25519", "secret"],
  ["~/.ssh/authorized_keys", "secret"],
  ["~/.aws/credentials", "secret"],
  ["~/.gnupg/private-keys-v1.d/key.key", "secret"],
  ["~/.netrc", "secret"],
  ["~/.npmrc", "secret"],
  ["~/.docker/config.json", "secret"],
  ["~/.kube/config", "secret"],
  ["~/.config/gh/hosts.yml", "secret"],
  ["~/.git-credentials", "secret"],
  [".env", "secret"],
  [".env.production", "secret"],
  ["/etc/shadow", "secret"],
  ["/root/.ssh/id_ed25519", "secret"],
  ["~/.bashrc", "startup"],
  ["~/.zshrc", "startup"],
  ["~/.profile", "startup"],
  ["~/.bash_profile", "startup"],
  ["~/.gitconfig", "startup"],
  ["~/.config/fish/config.fish", "startup"],
  ["~/.local/bin/git", "startup"],
  [".git/hooks/pre-commit", "startup"],
  [".git/config", "startup"],
  [".git", "startup"],
  [".warden/policy.yaml", "startup"],
  ["vendor/lib/.hg/hgrc", "startup"],
  ["~/.bash_login", "startup"],
  ["~/.bash_logout", "startup"],
  ["~/.bash_aliases", "startup"],
  ["~/.zshenv", "startup"],
  ["~/.zprofile", "startup"],
  ["~/.zlogin", "startup"],
  ["~/.zlogout", "startup"],
  ["~/.inputrc", "startup"],
  ["~/.config/systemd/user/x.service", "startup"],
  ["~/.config/autostart/x.desktop", "startup"],
  ["~/.config/environment.d/x.conf", "startup"],
  ["~/.pam_environment", "startup"],
  ["/etc/crontab", "startup"],
  ["/etc/cron.d/x", "startup"],
  ["/var/spool/cron/crontabs/root", "startup"],
  ["~/.config/git/config", "startup"],
  ["~/.hgrc", "startup"],
  ["~/.ssh", "startup"],
  ["~/.ssh/config", "startup"],
  ["~/.gnupg/gpg-agent.conf", "startup"],
  ["~/bin/ls", "startup"],
  ["~/.cargo/bin/cargo", "startup"],
  ["~/.kube/config", "startup"],
  ["~/.aws/config", "startup"],
  ["~/.docker/config.json", "startup"],
  ["~/.docker/cli-plugins/docker-buildx", "startup"],
  ["~/.config/gh/config.yml", "startup"],
  ["~/.config/gcloud/configurations/config_default", "startup"],
  ["~/.terraformrc", "startup"],
  ["~/.terraform.d/plugins/x", "startup"],
  ["~/.curlrc", "startup"],
  ["~/.config/curlrc", "startup"],
  ["~/.wgetrc", "startup"],
  ["~/.npmrc", "startup"],
  ["~/.yarnrc", "startup"],
  ["~/.yarnrc.yml", "startup"],
  ["~/.config/yarn/config", "startup"],
  ["~/.config/pnpm/rc", "startup"],
  ["~/.config/pip/pip.conf", "startup"],
  ["~/.pip/pip.conf", "startup"],
  ["~/.pydistutils.cfg", "startup"],
  ["~/.cargo/config", "startup"],
  ["~/.cargo/config.toml", "startup"],
  ["~/.mavenrc", "startup"],
  ["~/.m2/settings.xml", "startup"],
  ["~/.gradle/init.gradle", "startup"],
  ["~/.gradle/init.gradle.kts", "startup"],
  ["~/.gradle/init.d/x.gradle", "startup"],
  ["~/.gradle/gradle.properties", "startup"],
  ["~/.local/lib/python3.12/site-packages/x.pth", "startup"],
  ["~/.local/lib/python3.12/site-packages/usercustomize.py", "startup"],
  ["~/.ipython/profile_default/startup/x.py", "startup"],
  ["~/.Rprofile", "startup"],
  ["~/.irbrc", "startup"],
  ["~/.mongoshrc.js", "startup"],
  ["~/.psqlrc", "startup"],
  ["~/.sqliterc", "startup"],
  ["~/.gdbinit", "startup"],
  ["~/.config/gdb/gdbinit", "startup"],
  ["~/.lesskey", "startup"],
  ["~/.config/lesskey", "startup"],
  ["~/.vimrc", "startup"],
  ["~/.vim/plugin/x.vim", "startup"],
  ["~/.exrc", "startup"],
  ["~/.config/nvim/init.lua", "startup"],
  ["~/.emacs", "startup"],
  ["~/.emacs.d/init.el", "startup"],
  ["~/Documents/notes.txt", "home"],
  ["~/notes.txt", "home"],
  ["/etc/hosts", "system"],
  ["/etc/sudoers", "system"],
  ["/usr/bin/env", "system"],
  ["/usr/local/bin/node", "system"],
  ["/bin/sh", "system"],
  ["/lib/x86_64-linux-gnu/libc.so.6", "system"],
  ["/var/lib/dpkg/status", "system"],
  ["/boot/vmlinuz", "system"],
  ["/Library/LaunchDaemons/x.plist", "system"],
  ["/System/Library/x", "system"],
  ["/tmp/x", "other"],
  ["/srv/data/x", "other"],
];

const HOME_IN_GLOB = /^(?:\/(?:var\/|usr\/)?home\/[^/*?[{]+|\/Users\/[^/*?[{]+|\/root)(?=\/|$)/u;
const DEFAULT_CWD = "/work/project";

/** The home the probes use: the session's, else one the glob names, else `/home/user`. */
function probeHome(glob: string, context: PathContext): string {
  return context.home ?? HOME_IN_GLOB.exec(glob)?.[0] ?? "/home/user";
}

/**
 * What an allow path glob covers among real sensitive places: the whole filesystem, a home
 * directory's dotfiles, credentials anywhere, or system directories. Tested, not guessed: each
 * probe path is matched with the rule's own matcher.
 */
export function assessPathGlob(
  glob: string,
  kind: ToolKind,
  context: PathContext = {},
): PathBreadth[] {
  let matcher: ReturnType<typeof compilePathGlob>;
  try {
    matcher = compilePathGlob(glob);
  } catch {
    return [];
  }
  const home = probeHome(glob, context);
  const session = { cwd: context.cwd ?? DEFAULT_CWD, home };
  const hits = PATH_PROBES.filter(([probe]) =>
    matcher(normalizePath(probe.startsWith("~/") ? home + probe.slice(1) : probe, session)),
  );
  const writes = kind !== "read";
  const list = (probes: readonly Probe[]) =>
    `${probes
      .slice(0, 3)
      .map(([p]) => p)
      .join(", ")}${probes.length > 3 ? ", …" : ""}`;
  // A file can be both (a kubeconfig holds tokens and names exec plugins): listed once.
  const of = (...kinds: Probe[1][]) =>
    hits.filter(
      ([p, k], i) =>
        kinds.includes(k) && hits.findIndex(([q, j]) => q === p && kinds.includes(j)) === i,
    );
  if (of("system").length > 0 && of("home").length > 0 && of("other").length > 0) {
    return [
      {
        code: "filesystem_root",
        severity: "danger",
        message: `covers the whole filesystem from / (${list(of("secret", "system"))})`,
      },
    ];
  }
  const findings: PathBreadth[] = [];
  // Reading a key leaks it; writing a key, a token file or a startup file runs or grants later.
  const sensitive = writes ? of("secret", "startup") : of("secret");
  const inHome = sensitive.filter(([p]) => p.startsWith("~/"));
  if (of("home").length > 0 && inHome.length > 0) {
    findings.push({
      code: "home_directory",
      severity: "danger",
      message: `covers the home directory ${home}/ with its dotfiles (${list(inHome)})`,
    });
  }
  const named = of("home").length > 0 ? sensitive.filter(([p]) => !p.startsWith("~/")) : sensitive;
  if (named.length > 0) {
    findings.push({
      code: "secrets",
      severity: "danger",
      message: `covers ${list(named)}: ${writes ? "keys, tokens and files that run commands later (shell startup files, git hooks)" : "keys and tokens"}`,
    });
  }
  if (of("system").length > 0) {
    findings.push({
      code: "system_directory",
      severity: writes ? "danger" : "broad",
      message: `covers system files (${list(of("system"))})`,
    });
  }
  return findings;
}
