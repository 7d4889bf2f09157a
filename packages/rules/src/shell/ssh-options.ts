import { NOTHING } from "./argument-runs.ts";
import { type OptionSpec, parseOptions } from "./options.ts";
import type { Run, Runner } from "./run.ts";
import type { Arg } from "./words.ts";

/**
 * Files ssh writes through its options, for `ssh` and for `scp`/`sftp` that pass `-o` to it: an
 * allow rule for the program grants them, protected paths still see them (`placed`).
 *
 * - `-E FILE` appends ssh's log to FILE (OpenSSH 9.2 wrote it with the connection refused);
 * - `UserKnownHostsFile` (each of its space-separated files) gets the host keys ssh accepts;
 * - `-S PATH`/`ControlPath` is the socket a control master makes;
 * - a local forward to a socket (`-L /path:host:port`, `LocalForward /path host:port`) binds one,
 *   after unlinking what was there with `StreamLocalBindUnlink=yes`.
 *
 * `IdentityAgent` and `-F CONFIG` are read, not written; the options that run a program
 * (`ProxyCommand`, `LocalCommand`, `KnownHostsCommand`, `-F` with a config that holds them, a
 * PKCS#11 or security key provider) are why `ssh` asks as a launcher and `scp -o`/`sftp -o` as a
 * program whose arguments run one.
 */

/** `%h`-style tokens and `${VAR}` expand when ssh reads the path: the file is then a glob. */
const TOKENS = /%[a-zA-Z%]|\$\{[^}]*\}/g;

function path(arg: Arg, text: string): Arg | undefined {
  const trimmed = text.trim().replace(/^"(.*)"$/, "$1");
  if (trimmed === "" || trimmed.toLowerCase() === "none") return undefined;
  const expanded = trimmed.replace(TOKENS, "*");
  return expanded === trimmed && arg.literal
    ? { ...arg, text: trimmed }
    : { ...arg, text: expanded, literal: false };
}

/** The local socket of a forward spec (`/sock:host:port`, or `/sock` as LocalForward's first word). */
function forwardSocket(arg: Arg, text: string): Arg | undefined {
  const first = text.trim().split(/[\s:]/)[0] ?? "";
  return first.includes("/") ? path(arg, first) : undefined;
}

/** What an `-o Keyword=value` (or `Keyword value`) writes. */
function keywordWrites(arg: Arg): Arg[] {
  const match = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/s.exec(arg.text);
  if (!match) return [];
  const [, keyword, value] = match as unknown as [string, string, string];
  switch (keyword.toLowerCase()) {
    case "userknownhostsfile":
      return value.split(/\s+/).flatMap((file) => path(arg, file) ?? []);
    case "controlpath":
      return [path(arg, value)].flatMap((file) => file ?? []);
    case "localforward":
      return [forwardSocket(arg, value)].flatMap((file) => file ?? []);
    default:
      return [];
  }
}

/** The files an ssh-family command line writes through its options (`own`: ssh's own `-E`, `-S`, `-L`). */
function writes(args: readonly Arg[], spec: OptionSpec, own: boolean): Arg[] {
  const { options } = parseOptions(args, 1, spec);
  return options.flatMap((option) => {
    const value = option.value;
    if (!value) return [];
    if (option.name === "o") return keywordWrites(value);
    if (!own) return [];
    if (option.name === "E" || option.name === "S") return [path(value, value.text) ?? []].flat();
    if (option.name === "L") return [forwardSocket(value, value.text) ?? []].flat();
    return [];
  });
}

/** ssh's options that take a value (OpenSSH 9.2's `getopt` string). */
const SSH_SPEC: OptionSpec = { short: "BbcDEeFIiJLlmOoPpQRSWw" };

/** The files `ssh` writes through its options. */
export function sshWrites(args: readonly Arg[]): Arg[] {
  return writes(args, SSH_SPEC, true);
}

/** A runner for `scp`/`sftp`: the files the `-o` options they pass to ssh write. */
export function sshOptionWrites(spec: OptionSpec): Runner {
  return (args): Run => {
    const placed = writes(args, { ...spec, permute: true }, false);
    return placed.length > 0 ? { placed } : NOTHING;
  };
}
