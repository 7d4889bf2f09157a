import type { PermissionRequest } from "@warden/client";
import { Box, Text } from "ink";
import { describeDecider, describeOutcome, formatCountdown, prettyJson } from "./describe.ts";
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
        <Text bold>Warden approver</Text> · project {project} ·{" "}
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
          : `${formatCountdown(request.expiresAt - now)} left`;
        return (
          <Text
            key={entry.key}
            inverse={isSelected}
            dimColor={Boolean(entry.answered)}
            wrap="truncate"
          >
            {isSelected ? "› " : "  "}
            {request.sessionId} · {request.toolName} · {request.action} · {left}
          </Text>
        );
      })}
    </Box>
  );
}

function InputView(props: { readonly input: Record<string, unknown> }) {
  const lines = prettyJson(props.input).split("\n");
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
  return (
    <Box flexDirection="column" borderStyle="single" paddingX={1}>
      <Text>
        <Text bold>{request.action}</Text>
      </Text>
      <Text dimColor>
        session {request.sessionId} · tool {request.toolName} · by {request.requestedBy} ·{" "}
        {answered ? "answered" : `times out in ${formatCountdown(request.expiresAt - props.now)}`}
      </Text>
      {request.details ? <Text>{request.details}</Text> : null}
      <Text>input:</Text>
      <InputView input={request.input} />
      <Text dimColor>
        policy: {request.evaluation.decision} ({request.evaluation.reason})
        {request.evaluation.rule ? ` by ${request.evaluation.rule}` : ""}
      </Text>
      {answered ? (
        <Text color="yellow">
          Answered elsewhere: {describeOutcome(answered.resolution)} by{" "}
          {describeDecider(answered.resolution)}. Press ↑/↓ to move on.
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
            {index + 1}. {suggestion.patterns.join(" ; ")}{" "}
            <Text color={BREADTH_COLOR[suggestion.breadth]}>[{suggestion.breadth}]</Text>{" "}
            <Text dimColor>{suggestion.description}</Text>
          </Text>
          {suggestion.warnings.map((warning) => (
            <Text key={warning.message} color={warning.severity === "danger" ? "red" : "yellow"}>
              {"      "}⚠ {warning.message}
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
          {line.text}
        </Text>
      ))}
    </Box>
  );
}

const NOTE_COLOR = { info: "cyan", success: "green", error: "red" } as const;

/** The newest notes: answers, errors, requests answered elsewhere. */
export function Notes(props: { readonly notes: readonly Note[] }) {
  return (
    <Box flexDirection="column">
      {props.notes.map((note) => (
        <Text key={note.id} color={NOTE_COLOR[note.tone]} wrap="truncate">
          {note.text}
        </Text>
      ))}
    </Box>
  );
}
