import { diffLines } from "diff";
import { prettyJson } from "../describe.ts";

/** The input as pretty JSON, line by line, with what an edit removed and added. */
export function JsonDiff(props: { before: unknown; after: unknown }) {
  const parts = diffLines(prettyJson(props.before), prettyJson(props.after));
  return (
    <pre class="json diff" data-testid="input-diff">
      {parts.map((part, i) => (
        <span key={i} class={part.added ? "added" : part.removed ? "removed" : undefined}>
          {part.value
            .replace(/\n$/, "")
            .split("\n")
            .map((line) => `${part.added ? "+ " : part.removed ? "- " : "  "}${line}\n`)
            .join("")}
        </span>
      ))}
    </pre>
  );
}
