/** @jsxRuntime automatic @jsxImportSource react */
// (The pragma keeps the JSX runtime when tsx runs this file from a directory without this package's tsconfig, e.g. `pnpm warden` at the repository root.)
import {
  alwaysWithoutEffect,
  describeActionLines,
  describeResolution,
  describeRule,
  formatRemaining,
  hasHiddenText,
  type PermissionRequest,
  revealJson,
  revealName,
  revealText,
} from "@warden/client";
import { Box, Text } from "ink";
import type { DiffLine } from "./edit-input.ts";
import type { ConnectionStatus, InboxEntry, Note } from "./inbox-state.ts";

const MAX_INPUT_LINES = 14;

/** The title line and, when the connection is down, a banner. */
export function Header(props: {
  readonly project: string;
  readonly status: ConnectionStatus;
  readonly pending: number;
}) {
  const { project, status, pending } = props;
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>Warden approver</Text> · project {revealText(project)} ·{" "}
        {status === "open" ? (
          <Text color="green">● connected</Text>
        ) : (
          <Text color="yellow">○ {status}</Text>
        )}{" "}
        · {pending} pending
      </Text>
      {status === "reconnecting" || status === "closed" ? (
        <Text color="white" backgroundColor="red">
          {" "}
          Connection lost — reconnecting…{" "}
        </Text>
      ) : null}
    </Box>
  );
}

/** The list of requests, the selected one marked; answered ones dimmed. */
export function RequestList(props: {
  readonly entries: readonly InboxEntry[];
  readonly selected: string | null;
  readonly now: number;
}) {
  const { entries, selected, now } = props;
  if (entries.length === 0) return <Text dimColor>No pending requests. Waiting for new ones…</Text>;
  return (
    <Box flexDirection="column">
      {entries.map((entry) => {
        const { request } = entry;
        const isSelected = entry.key === selected;
        const left = entry.answered
          ? "answered"
          : `${formatRemaining(request.expiresAt - now)} left`;
        return (
          <Text
            key={entry.key}
            inverse={isSelected}
            dimColor={Boolean(entry.answered)}
            wrap="truncate"
          >
            {isSelected ? "› " : "  "}
            {revealText(request.sessionId)} · {revealName(request.toolName)} ·{" "}
            {describeActionLines(request).call.replaceAll("⏎\n", "⏎ ")} · {left}
          </Text>
        );
      })}
    </Box>
  );
}

function InputView(props: { readonly input: Record<string, unknown> }) {
  const lines = revealJson(props.input).split("\n");
  const shown = lines.slice(0, MAX_INPUT_LINES);
  return (
    <Box flexDirection="column" paddingLeft={2}>
      {shown.map((line, index) => (
        <Text key={index}>{line}</Text>
      ))}
      {lines.length > shown.length ? (
        <Text dimColor>… {lines.length - shown.length} more lines (e opens it whole)</Text>
      ) : null}
    </Box>
  );
}

/** Everything about the selected request. */
export function RequestDetail(props: { readonly entry: InboxEntry; readonly now: number }) {
  const { request, answered } = props.entry;
  const lines = describeActionLines(request);
  const hidden =
    hasHiddenText(JSON.stringify(request.input)) ||
    hasHiddenText(request.action) ||
    (request.details !== undefined && hasHiddenText(request.details));
  const noEffect = alwaysWithoutEffect(request);
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text bold wrap="wrap">
        {lines.call}
      </Text>
      {lines.agentSays !== null ? (
        <Text color="yellow" wrap="wrap">
          The agent describes it as "{lines.agentSays}" — not what the input says.
        </Text>
      ) : null}
      {hidden ? (
        <Text color="yellow" wrap="wrap">
          Holds invisible or control characters or long runs of spaces, shown as ⟨U+…⟩ / ⟨N spaces⟩.
        </Text>
      ) : null}
      <Text dimColor wrap="wrap">
        session {revealText(request.sessionId)} · tool {revealName(request.toolName)} · by{" "}
        {revealText(request.requestedBy)} ·{" "}
        {answered ? "answered" : `times out in ${formatRemaining(request.expiresAt - props.now)}`}
      </Text>
      {request.details ? <Text wrap="wrap">{revealText(request.details)}</Text> : null}
      <Text>input:</Text>
      <InputView input={request.input} />
      <Text dimColor wrap="wrap">
        policy: {request.evaluation.decision} ({request.evaluation.reason})
        {request.evaluation.rule ? ` by ${describeRule(request.evaluation.rule)}` : ""}
      </Text>
      {noEffect ? (
        <Text color="yellow" wrap="wrap">
          {noEffect}
        </Text>
      ) : null}
      {answered ? (
        <Text color="yellow">
          Answered elsewhere: {describeResolution(answered.resolution)} Press ↑/↓ to move on.
        </Text>
      ) : null}
    </Box>
  );
}

const BREADTH_COLOR = { narrow: "green", broad: "yellow", danger: "red" } as const;

/** The "always" rules to choose from: each suggestion verbatim with its breadth warnings, then a custom rule. */
export function SuggestionPicker(props: {
  readonly request: PermissionRequest;
  readonly choice: number;
}) {
  const { request, choice } = props;
  return (
    <Box flexDirection="column">
      {request.suggestions.map((suggestion, index) => (
        <Box key={suggestion.patterns.join(" ; ")} flexDirection="column">
          <Text inverse={index === choice}>
            {index === choice ? "› " : "  "}
            {index + 1}. {revealText(suggestion.patterns.join(" ; "))}{" "}
            <Text color={BREADTH_COLOR[suggestion.breadth]}>[{suggestion.breadth}]</Text>{" "}
            <Text dimColor>{revealText(suggestion.description)}</Text>
          </Text>
          {suggestion.warnings.map((warning) => (
            <Text key={warning.message} color={warning.severity === "danger" ? "red" : "yellow"}>
              {"      "}⚠ {revealText(warning.message)}
            </Text>
          ))}
        </Box>
      ))}
      <Text inverse={choice === request.suggestions.length}>
        {choice === request.suggestions.length ? "› " : "  "}
        {request.suggestions.length + 1}. a rule of your own…
      </Text>
    </Box>
  );
}

/** A diff of the original input and the edited one. */
export function InputDiff(props: { readonly lines: readonly DiffLine[] }) {
  return (
    <Box flexDirection="column" paddingLeft={2}>
      {props.lines.map((line, index) => (
        <Text
          key={index}
          color={line.kind === "added" ? "green" : line.kind === "removed" ? "red" : undefined}
        >
          {line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}
          {revealText(line.text, { multiline: true })}
        </Text>
      ))}
    </Box>
  );
}

const NOTE_COLOR = { info: "cyan", success: "green", error: "red" } as const;

/** The newest notes: answers, errors, requests answered elsewhere (each revealed where it is made). */
export function Notes(props: { readonly notes: readonly Note[] }) {
  return (
    <Box flexDirection="column">
      {props.notes.map((note) => (
        <Text key={note.id} color={NOTE_COLOR[note.tone]} wrap="wrap">
          {note.text}
        </Text>
      ))}
    </Box>
  );
}
