import { describe, expect, test } from "vitest";
import { isDangerousName } from "./names.ts";

describe("variables that select a program's configuration, code or output", () => {
  // Each was checked against the real program or its documentation (docs/policy.md).
  test.each([
    "KUBECONFIG", // exec credential plugins
    "AWS_CONFIG_FILE", // credential_process
    "AWS_SHARED_CREDENTIALS_FILE", // credential_process in the credentials file too
    "GOOGLE_APPLICATION_CREDENTIALS", // executable-sourced credentials
    "DOCKER_CONFIG", // credsStore runs docker-credential-*
    "CURL_HOME", // .curlrc's -o
    "WGETRC",
    "PSQLRC", // \! cmd
    "PGSYSCONFDIR", // the system psqlrc
    "GIT_CONFIG_GLOBAL",
    "NPM_CONFIG_USERCONFIG",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE", // .pth files of the user site
    "IPYTHONDIR", // profile start-up scripts
    "IRBRC",
    "GEMRC",
    "ZDOTDIR", // zsh's .zshenv
    "VIMRUNTIME",
    "HISTFILE", // written where it names
    "SQLITE_HISTORY",
    "NODE_REPL_HISTORY",
    "KUBECTL_EXTERNAL_DIFF", // run by kubectl diff
    "DIFFPROG",
    "HGMERGE",
    "MAVEN_ARGS", // arguments added to every mvn
    "TF_CLI_ARGS_plan",
    "SYSTEMD_LESS", // less's options: +!cmd
    "CLOUDSDK_PYTHON", // gcloud runs this interpreter
    "UV_PYTHON",
    "UV_INDEX_URL",
    "VIRTUAL_ENV",
    "GOMODCACHE",
    "HOSTCC",
    "CC_FOR_BUILD",
    "LESSKEYIN",
    "LESSKEY_CONTENT",
    "SIMPLE_BACKUP_SUFFIX", // cp -b's backup name
    "POSIXLY_CORRECT", // options stop at the first operand
  ])("%s is dangerous", (name) => {
    expect(isDangerousName(name)).toBe(true);
  });

  test.each([
    "NODE_ENV",
    "RAILS_ENV",
    "CI",
    "DEBUG",
    "FORCE_COLOR",
    "NO_COLOR",
    "LANG",
    "TZ",
    "GOOS",
    "GOARCH",
    "CGO_ENABLED",
    "RUST_LOG",
    "RUST_BACKTRACE",
    "AWS_REGION",
    "AWS_PROFILE",
    "PYTHONUNBUFFERED",
    "SRC",
    "OUT_DIR",
    "LOG_LEVEL",
  ])("%s stays plain", (name) => {
    expect(isDangerousName(name)).toBe(false);
  });
});
