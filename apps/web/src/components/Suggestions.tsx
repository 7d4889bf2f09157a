import { revealText } from "@warden/client";
import type { RuleSuggestion } from "@warden/rules";

/** A suggestion's patterns, verbatim, with its breadth and warnings. */
export function SuggestionText(props: { suggestion: RuleSuggestion }) {
  const { suggestion } = props;
  return (
    <>
      <span class="patterns">
        {suggestion.patterns.map((pattern) => (
          <code key={pattern}>{revealText(pattern)}</code>
        ))}
      </span>
      <span class={`breadth ${suggestion.breadth}`}>{suggestion.breadth}</span>
      <span class="description">{revealText(suggestion.description)}</span>
      {suggestion.warnings.length > 0 && (
        <ul class="warnings">
          {suggestion.warnings.map((warning) => (
            <li key={warning.code + warning.message} class={warning.severity}>
              {revealText(warning.message)}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The "always" rules the server suggests for a request, narrowest first. */
export function Suggestions(props: { suggestions: readonly RuleSuggestion[] }) {
  if (props.suggestions.length === 0) {
    return <p class="suggestions none">No "always" rule is suggested for this call.</p>;
  }
  return (
    <section class="suggestions" aria-label="Suggested always rules">
      <h4>Suggested "always" rules</h4>
      <ul>
        {props.suggestions.map((suggestion) => (
          <li key={suggestion.patterns.join("\n")}>
            <SuggestionText suggestion={suggestion} />
          </li>
        ))}
      </ul>
    </section>
  );
}
