import { codePointMarker, revealText, unrevealText } from "@warden/client";
import type { RuleSuggestion } from "@warden/rules";
import { useState } from "preact/hooks";
import type { RuleScope } from "../inbox-api.ts";
import { SuggestionText } from "./Suggestions.tsx";

/**
 * A suggestion's patterns as the text field shows them, one a line: each revealed (a pattern holds
 * the agent's command, bidi and zero-width characters included), a line feed inside a pattern as
 * its marker so that it cannot split the pattern in two.
 */
function shownPatterns(patterns: readonly string[]): string {
  return patterns
    .map((pattern) => revealText(pattern).replaceAll("⏎\n", codePointMarker("\n")))
    .join("\n");
}

/**
 * Pick a suggested rule or write one (one pattern per line), choose its scope, and confirm. The
 * field shows patterns revealed and sends them unrevealed: the exact characters of the suggestion.
 */
export function AlwaysPanel(props: {
  suggestions: readonly RuleSuggestion[];
  disabled: boolean;
  /** Why an always rule would change nothing for this call, if it would not. */
  noEffect?: string | null;
  onConfirm: (rule: string[], scope: RuleScope) => void;
}) {
  const first = props.suggestions[0] ? shownPatterns(props.suggestions[0].patterns) : "";
  const [text, setText] = useState(first);
  const [scope, setScope] = useState<RuleScope>("session");
  const patterns = text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => unrevealText(line));
  const picked = props.suggestions.find((s) => s.patterns.join("\n") === patterns.join("\n"));

  return (
    <form
      class="panel always"
      onSubmit={(event) => {
        event.preventDefault();
        if (patterns.length > 0) props.onConfirm(patterns, scope);
      }}
    >
      {props.suggestions.length > 0 && (
        <fieldset>
          <legend>Suggested rules</legend>
          {props.suggestions.map((suggestion) => {
            const value = shownPatterns(suggestion.patterns);
            return (
              <label key={value} class="choice">
                <input
                  type="radio"
                  name="suggestion"
                  checked={picked === suggestion}
                  onChange={() => setText(value)}
                />
                <SuggestionText suggestion={suggestion} />
              </label>
            );
          })}
        </fieldset>
      )}
      <label>
        Rule to add (one pattern per line; edit freely)
        <textarea
          rows={Math.max(2, patterns.length)}
          class="code"
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
          aria-label="Rule to add"
        />
      </label>
      {!picked && patterns.length > 0 && (
        <p class="hint">A rule of your own: the server checks it and refuses an invalid one.</p>
      )}
      <fieldset class="scope">
        <legend>Keep it for</legend>
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope === "session"}
            onChange={() => setScope("session")}
          />
          this session
        </label>
        <label>
          <input
            type="radio"
            name="scope"
            checked={scope === "project"}
            onChange={() => setScope("project")}
          />
          every future session of the project
        </label>
      </fieldset>
      {props.noEffect && (
        <p class="no-effect" role="note">
          {props.noEffect}
        </p>
      )}
      <button type="submit" class="allow" disabled={props.disabled || patterns.length === 0}>
        Always allow
      </button>
    </form>
  );
}
