/** @jsxRuntime automatic @jsxImportSource react */
// (The pragma keeps the JSX runtime when tsx runs this file from a directory without this package's tsconfig, e.g. `pnpm warden` at the repository root.)
import type { PermissionReply, PermissionResolvedEvent, RespondOptions } from "@warden/client";
import {
  codePointMarker,
  describeResolution,
  escapedJson,
  revealName,
  revealText,
  unrevealText,
} from "@warden/client";
import { Box, Text, useApp, useInput } from "ink";
import { useCallback, useEffect, useRef, useState } from "react";
import { resolutionNote } from "./describe.ts";
import {
  diffInputs,
  type EditedInput,
  editInEditor,
  type ParsedInput,
  parseEditedInput,
} from "./edit-input.ts";
import type { ApproverInbox, Resolution, RuleScope } from "./inbox.ts";
import {
  addNote,
  addRequest,
  arm,
  type InboxState,
  initialInboxState,
  moveSelection,
  requestKey,
  resolveRequest,
  selectedEntry,
  setStatus,
} from "./inbox-state.ts";
import { TextField } from "./text-field.tsx";
import {
  Header,
  InputDiff,
  Notes,
  RequestDetail,
  RequestList,
  SuggestionPicker,
} from "./views.tsx";

/** How long a request chosen by the program (not by a key) is shown before keys act on it. */
export const ARM_DELAY_MS = 400;

/** Separates the patterns of a multi-pattern rule while it is edited as one line. */
const PATTERN_SEPARATOR = " ; ";

/**
 * A suggestion's patterns as the one-line rule field shows them: revealed, a line feed inside a
 * pattern as its marker (never a line break in the field); `unrevealText` reads them back exactly.
 */
function shownPatterns(patterns: readonly string[]): string {
  return revealText(patterns.join(PATTERN_SEPARATOR)).replaceAll("⏎\n", codePointMarker("\n"));
}

type Mode =
  | { readonly kind: "browse" }
  | {
      readonly kind: "always";
      readonly key: string;
      readonly choice: number;
      readonly scope: RuleScope;
      readonly editing: boolean;
      readonly draft: string;
    }
  | { readonly kind: "reject"; readonly key: string; readonly draft: string }
  | { readonly kind: "edit"; readonly key: string; readonly draft: string }
  | { readonly kind: "confirm-edit"; readonly key: string; readonly input: EditedInput }
  | { readonly kind: "busy"; readonly key: string };

const BROWSE: Mode = { kind: "browse" };

/** Props of the approver. */
export interface ApproverProps {
  readonly project: string;
  readonly inbox: ApproverInbox;
  /** The editor command for `e`; without one, `e` edits inline. */
  readonly editor?: string;
  /** Called with a fatal error (a refused token): the app then exits. */
  readonly onFatal: (error: unknown) => void;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "internal_error";
}

function resolutionOf(value: unknown): Resolution | undefined {
  const resolution = (value as { resolution?: unknown } | null | undefined)?.resolution;
  return resolution && typeof resolution === "object" ? (resolution as Resolution) : undefined;
}

/** The terminal approver: a live list of the project's pending requests and keys to answer them. */
export function Approver(props: ApproverProps) {
  const { inbox, project, editor, onFatal } = props;
  const { exit, suspendTerminal } = useApp();
  const [state, setState] = useState<InboxState>(initialInboxState);
  const [mode, setMode] = useState<Mode>(BROWSE);
  const [now, setNow] = useState(() => Date.now());
  // Answers in flight, and resolutions that arrived for them meanwhile.
  const inFlight = useRef(new Map<string, PermissionResolvedEvent | null>());

  const onResolved = useCallback((event: PermissionResolvedEvent) => {
    const key = requestKey(event.sessionId, event.permissionId);
    if (inFlight.current.has(key)) {
      inFlight.current.set(key, event);
      return;
    }
    setState((s) => {
      const entry = s.entries.find((e) => e.key === key);
      if (!entry) return s;
      return resolveRequest(
        s,
        key,
        event.resolution,
        false,
        resolutionNote(entry.request, event.resolution, false),
      );
    });
  }, []);

  useEffect(() => {
    let unsubscribe: (() => void) | undefined;
    let stopped = false;
    inbox
      .subscribe({
        onRequest: (request) => setState((s) => addRequest(s, request)),
        onResolved,
        onStatus: (status) => setState((s) => setStatus(s, status)),
      })
      .then(
        (off) => {
          if (stopped) off();
          else {
            unsubscribe = off;
            setState((s) => setStatus(s, "open"));
          }
        },
        (error: unknown) => onFatal(error),
      );
    return () => {
      stopped = true;
      unsubscribe?.();
    };
  }, [inbox, onResolved, onFatal]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    const key = state.selected;
    if (key === null || state.armed) return;
    const timer = setTimeout(() => setState((s) => arm(s, key)), ARM_DELAY_MS);
    return () => clearTimeout(timer);
  }, [state.selected, state.armed]);

  // A panel whose request was answered elsewhere closes.
  useEffect(() => {
    if (mode.kind === "browse" || mode.kind === "busy") return;
    const entry = state.entries.find((e) => e.key === mode.key);
    if (!entry || entry.answered) setMode(BROWSE);
  }, [mode, state.entries]);

  const note = (tone: "info" | "success" | "error", text: string) =>
    setState((s) => addNote(s, tone, text));

  async function send(key: string, reply: PermissionReply, options: RespondOptions, back: Mode) {
    const entry = state.entries.find((e) => e.key === key);
    // Two Enters in one read must not send twice: the second finds the first in flight.
    if (!entry || entry.answered || inFlight.current.has(key)) return;
    const { request } = entry;
    inFlight.current.set(key, null);
    setMode({ kind: "busy", key });
    try {
      const result = await inbox.respond(request.sessionId, request.permissionId, reply, options);
      const resolution = resolutionOf(result) ?? inFlight.current.get(key)?.resolution;
      inFlight.current.delete(key);
      setMode(BROWSE);
      if (!resolution) return;
      setState((s) =>
        resolveRequest(s, key, resolution, true, resolutionNote(request, resolution, true)),
      );
    } catch (error) {
      const seen = inFlight.current.get(key);
      inFlight.current.delete(key);
      const code = errorCode(error);
      if (code === "already_resolved") {
        const resolution =
          resolutionOf((error as { metadata?: unknown }).metadata) ?? seen?.resolution;
        setMode(BROWSE);
        setState((s) => {
          const text = resolution
            ? `Not sent: ${revealText(request.sessionId)} ${revealName(request.toolName)} was already answered — ${describeResolution(resolution)}`
            : `Not sent: ${revealText(request.sessionId)} ${revealName(request.toolName)} was already answered.`;
          const noted = addNote(s, "error", text);
          return resolution
            ? resolveRequest(
                noted,
                key,
                resolution,
                false,
                resolutionNote(request, resolution, false),
              )
            : noted;
        });
        return;
      }
      setMode(back);
      note("error", `Not sent (${revealText(code)}): ${revealText((error as Error).message)}`);
      if (seen) onResolved(seen);
    }
  }

  /** The request a decision key acts on: the selected one, if it is on screen and still open. */
  function target(): string | undefined {
    const entry = selectedEntry(state);
    if (!entry) return undefined;
    if (entry.answered) {
      note("error", `Already answered: ${describeResolution(entry.answered.resolution)}`);
      return undefined;
    }
    if (!state.armed) {
      note("info", "The selection just changed: read the request, then press the key again.");
      return undefined;
    }
    return entry.key;
  }

  async function editExternally(key: string, input: EditedInput, command: string) {
    const result: { parsed: ParsedInput } = {
      parsed: { ok: false, error: "the editor did not run" },
    };
    await suspendTerminal(() => {
      result.parsed = editInEditor(command, input);
    });
    const { parsed } = result;
    if (parsed.ok) setMode({ kind: "confirm-edit", key, input: parsed.input });
    else {
      setMode(BROWSE);
      note("error", `Edit discarded: ${revealText(parsed.error)}`);
    }
  }

  useInput((input, key) => {
    if (key.ctrl && input === "c") {
      exit();
      return;
    }
    switch (mode.kind) {
      case "busy":
        return;
      case "browse": {
        if (input === "q") exit();
        else if (key.upArrow || input === "k") setState((s) => moveSelection(s, -1));
        else if (key.downArrow || input === "j") setState((s) => moveSelection(s, 1));
        else if (
          input === "o" ||
          input === "a" ||
          input === "r" ||
          input === "e" ||
          input === "i"
        ) {
          const chosen = target();
          if (!chosen) return;
          const request = selectedEntry(state)!.request;
          if (input === "o") void send(chosen, "once", {}, BROWSE);
          else if (input === "a") {
            const first = request.suggestions[0];
            setMode({
              kind: "always",
              key: chosen,
              choice: 0,
              scope: "session",
              editing: !first,
              draft: first ? shownPatterns(first.patterns) : "",
            });
          } else if (input === "r") setMode({ kind: "reject", key: chosen, draft: "" });
          else if (input === "e" && editor) void editExternally(chosen, request.input, editor);
          else setMode({ kind: "edit", key: chosen, draft: escapedJson(request.input) });
        }
        return;
      }
      case "always": {
        if (key.escape) {
          if (mode.editing && selectedEntry(state)?.request.suggestions.length) {
            setMode({ ...mode, editing: false });
          } else setMode(BROWSE);
          return;
        }
        if (mode.editing) return;
        const request = state.entries.find((e) => e.key === mode.key)?.request;
        if (!request) return;
        const count = request.suggestions.length + 1;
        const choose = (choice: number) => {
          const suggestion = request.suggestions[choice];
          setMode({
            ...mode,
            choice,
            editing: !suggestion,
            draft: suggestion ? shownPatterns(suggestion.patterns) : "",
          });
        };
        if (key.upArrow || input === "k") choose(Math.max(0, mode.choice - 1));
        else if (key.downArrow || input === "j") choose(Math.min(count - 1, mode.choice + 1));
        else if (/^[1-9]$/.test(input) && Number(input) <= count) choose(Number(input) - 1);
        else if (input === "s")
          setMode({ ...mode, scope: mode.scope === "session" ? "project" : "session" });
        else if (input === "e") setMode({ ...mode, editing: true });
        else if (key.return) submitAlways(mode.draft);
        return;
      }
      case "reject":
      case "edit":
        if (key.escape) setMode(BROWSE);
        return;
      case "confirm-edit": {
        if (key.escape) setMode(BROWSE);
        else if (key.return) void send(mode.key, "once", { updatedInput: mode.input }, mode);
        else if (input === "e")
          setMode({ kind: "edit", key: mode.key, draft: escapedJson(mode.input) });
        return;
      }
    }
  });

  /**
   * Keeps a field's text in its panel. It updates the current mode, not the rendered one, so an
   * edit handled after a submit in the same read cannot bring a closed panel back.
   */
  function keepDraft(kind: "always" | "reject" | "edit", key: string, draft: string) {
    setMode((m) => (m.kind === kind && m.key === key ? { ...m, draft } : m));
  }

  function submitAlways(draft: string) {
    if (mode.kind !== "always") return;
    // The draft shows hidden characters as markers; the rule sent holds the characters themselves.
    const patterns = unrevealText(draft)
      .split(PATTERN_SEPARATOR)
      .map((pattern) => pattern.trim())
      .filter((pattern) => pattern !== "");
    if (patterns.length === 0) {
      note("error", "Type a rule first, e.g. Bash(npm test).");
      return;
    }
    void send(
      mode.key,
      "always",
      { rule: patterns, scope: mode.scope },
      { ...mode, draft, editing: false },
    );
  }

  const entry = selectedEntry(state);
  const modeEntry =
    mode.kind === "browse" ? undefined : state.entries.find((e) => e.key === mode.key);
  return (
    <Box flexDirection="column">
      <Header
        project={project}
        status={state.status}
        pending={state.entries.filter((e) => !e.answered).length}
      />
      <RequestList entries={state.entries} selected={state.selected} now={now} />
      {entry ? <RequestDetail entry={entry} now={now} /> : null}
      {mode.kind === "always" && modeEntry ? (
        <Box flexDirection="column">
          <Text bold>
            Always allow — scope: <Text color="cyan">{mode.scope}</Text>
          </Text>
          <SuggestionPicker request={modeEntry.request} choice={mode.choice} />
          {mode.editing ? (
            <Text>
              rule:{" "}
              <TextField
                key={mode.key}
                initial={mode.draft}
                onChange={(draft) => keepDraft("always", mode.key, draft)}
                onSubmit={submitAlways}
              />
            </Text>
          ) : (
            <Text>rule: {mode.draft}</Text>
          )}
          <Text dimColor>
            {mode.editing
              ? "enter allow always · esc back"
              : "↑↓/1-9 pick · e edit the rule · s scope session/project · enter allow always · esc cancel"}
          </Text>
        </Box>
      ) : null}
      {mode.kind === "reject" ? (
        <Box flexDirection="column">
          <Text>
            Reject with message:{" "}
            <TextField
              key={mode.key}
              initial={mode.draft}
              onChange={(draft) => keepDraft("reject", mode.key, draft)}
              onSubmit={(message) =>
                void send(
                  mode.key,
                  "reject",
                  message.trim() ? { message: message.trim() } : {},
                  mode,
                )
              }
            />
          </Text>
          <Text dimColor>enter reject · esc cancel</Text>
        </Box>
      ) : null}
      {mode.kind === "edit" ? (
        <Box flexDirection="column">
          <Text>
            Input (JSON):{" "}
            <TextField
              key={mode.key}
              initial={mode.draft}
              onChange={(draft) => keepDraft("edit", mode.key, draft)}
              onSubmit={(text) => {
                const parsed = parseEditedInput(text);
                if (parsed.ok)
                  setMode({ kind: "confirm-edit", key: mode.key, input: parsed.input });
                else note("error", `Edit: ${revealText(parsed.error)}`);
              }}
            />
          </Text>
          <Text dimColor>enter review the change · esc cancel</Text>
        </Box>
      ) : null}
      {mode.kind === "confirm-edit" && modeEntry ? (
        <Box flexDirection="column">
          <Text bold>Allow once with the edited input:</Text>
          <InputDiff lines={diffInputs(modeEntry.request.input, mode.input)} />
          <Text dimColor>enter allow with this input · e edit again · esc cancel</Text>
        </Box>
      ) : null}
      {mode.kind === "busy" ? <Text color="cyan">Sending…</Text> : null}
      {mode.kind === "browse" ? (
        <Text dimColor={!state.armed || !entry || Boolean(entry.answered)}>
          {entry && !entry.answered
            ? state.armed
              ? "keys: o once · a always · r reject · e edit · i edit inline · ↑↓ select · q quit"
              : "keys: (a new request is selected — read it first)"
            : "keys: ↑↓ select · q quit"}
        </Text>
      ) : null}
      <Notes notes={state.notes} />
    </Box>
  );
}
