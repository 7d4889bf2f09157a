import { escapedJson, inputRefusal, revealText } from "@warden/client";
import { useState } from "preact/hooks";
import { JsonDiff } from "./CallView.tsx";

type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

function parseObject(text: string): Parsed {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return { ok: false, error: "The input must be a JSON object." };
    // What the server would refuse (a `__proto__` or `constructor` key, too deep, too large) is
    // refused here, before anything is sent.
    const refusal = inputRefusal(value as Record<string, unknown>);
    if (refusal !== undefined) return { ok: false, error: `Not allowed: ${refusal}.` };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Edit the input as JSON, see the diff, then allow the edited call once. The text starts as the
 * input with every hidden character written as a `\uXXXX` escape (the same value once parsed), so
 * the editor shows what the diff and the card show, not bidi-reordered or invisible text.
 */
export function EditPanel(props: {
  input: Record<string, unknown>;
  disabled: boolean;
  onConfirm: (updatedInput: Record<string, unknown>) => void;
}) {
  const [text, setText] = useState(() => escapedJson(props.input, 2));
  const parsed = parseObject(text);
  const changed = parsed.ok && JSON.stringify(parsed.value) !== JSON.stringify(props.input);

  return (
    <form
      class="panel edit"
      onSubmit={(event) => {
        event.preventDefault();
        if (parsed.ok && changed) props.onConfirm(parsed.value);
      }}
    >
      <label>
        Input (JSON)
        <textarea
          class="code"
          rows={Math.min(16, text.split("\n").length + 1)}
          value={text}
          spellcheck={false}
          aria-label="Edited input"
          onInput={(event) => setText(event.currentTarget.value)}
        />
      </label>
      {parsed.ok ? (
        changed && <JsonDiff before={props.input} after={parsed.value} />
      ) : (
        <p class="error">{revealText(parsed.error)}</p>
      )}
      <p class="hint">
        The server checks the edited call against the rules again; a deny still wins.
      </p>
      <button type="submit" class="allow" disabled={props.disabled || !parsed.ok || !changed}>
        Allow edited input
      </button>
    </form>
  );
}
