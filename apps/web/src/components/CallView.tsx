import { describeActionLines, hasHiddenText, revealJson, revealText } from "@warden/client";
import { diffLines } from "diff";
import { formatSize } from "../describe.ts";
import type { PermissionRequest } from "../inbox-api.ts";

/**
 * What the call does, as Warden reads it from the input (whole, wrapped, every invisible or
 * control character shown as a marker), and the agent's own `action` only when it says something
 * else, marked as the agent's claim.
 */
export function CallLine(props: { request: PermissionRequest }) {
  const { request } = props;
  const lines = describeActionLines(request);
  const hidden =
    hasHiddenText(JSON.stringify(request.input)) ||
    hasHiddenText(request.action) ||
    (request.details !== undefined && hasHiddenText(request.details));
  return (
    <>
      <h3 class="action" data-testid="call">
        {lines.call}
      </h3>
      {lines.agentSays !== null && (
        <p class="agent-says" data-testid="agent-says">
          <strong>The agent describes it as</strong> “{lines.agentSays}” — not what the input says.
          Judge the call above and the input below.
        </p>
      )}
      {hidden && (
        <p class="hidden-text" data-testid="hidden-text" role="note">
          This request holds invisible or control characters or long runs of spaces, shown as ⟨U+…⟩
          and ⟨N spaces⟩ markers.
        </p>
      )}
    </>
  );
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A text diff, line by line, each line revealed. */
function TextDiff(props: { before: string; after: string; testid: string }) {
  const parts = diffLines(props.before, props.after);
  return (
    <pre class="code-block diff" data-testid={props.testid}>
      {parts.map((part, i) => (
        <span key={i} class={part.added ? "added" : part.removed ? "removed" : undefined}>
          {part.value
            .replace(/\n$/, "")
            .split("\n")
            .map(
              (line) =>
                `${part.added ? "+ " : part.removed ? "- " : "  "}${revealText(line, { multiline: true })}\n`,
            )
            .join("")}
        </span>
      ))}
    </pre>
  );
}

/** The input: an Edit as a diff, a Write as its new content with its size, else pretty JSON. */
export function InputView(props: { toolName: string; input: Record<string, unknown> }) {
  const { toolName, input } = props;
  const oldString = str(input.old_string);
  const newString = str(input.new_string);
  const content = str(input.content);
  const raw = (
    <pre class="code-block json" data-testid="input">
      {revealJson(input)}
    </pre>
  );
  let view = null;
  if (oldString !== undefined && newString !== undefined) {
    view = (
      <>
        <p class="input-head">
          Change in <code>{revealText(str(input.file_path) ?? "the file")}</code>
          {input.replace_all === true ? " (every occurrence)" : ""}:
        </p>
        <TextDiff before={oldString} after={newString} testid="edit-diff" />
      </>
    );
  } else if (content !== undefined && /write/i.test(toolName)) {
    view = (
      <>
        <p class="input-head">
          New content of <code>{revealText(str(input.file_path) ?? "the file")}</code> (
          <span data-testid="write-size">{formatSize(content)}</span>, {content.split("\n").length}{" "}
          lines):
        </p>
        <pre class="code-block" data-testid="write-content">
          {revealText(content, { multiline: true })}
        </pre>
      </>
    );
  }
  if (!view) return raw;
  return (
    <>
      {view}
      <details class="raw">
        <summary>Raw input</summary>
        {raw}
      </details>
    </>
  );
}

/** An input before and after an approver's edit, as pretty JSON with what changed. */
export function JsonDiff(props: { before: unknown; after: unknown }) {
  return (
    <TextDiff
      before={JSON.stringify(props.before, null, 2)}
      after={JSON.stringify(props.after, null, 2)}
      testid="input-diff"
    />
  );
}
