import { useEffect, useState } from "preact/hooks";
import {
  describeDecider,
  describeOutcome,
  describeRulesAdded,
  formatTime,
  inputEdited,
} from "../describe.ts";
import { describeFailure, type HistoryEntry, type InboxApi } from "../inbox-api.ts";

const PAGE = 100;

/** Who or what decided each request, when, and by which rule; newest first. */
export function HistoryView(props: { api: InboxApi; refreshKey: number }) {
  const [entries, setEntries] = useState<readonly HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { api, refreshKey } = props;

  useEffect(() => {
    let current = true;
    // refreshKey changes whenever a request is settled: read the log again.
    void refreshKey;
    api.history({ limit: PAGE }).then(
      (page) => {
        if (!current) return;
        setEntries(page.entries);
        setError(null);
      },
      (failure: unknown) => current && setError(describeFailure(failure).message),
    );
    return () => {
      current = false;
    };
  }, [api, refreshKey]);

  if (error) return <p class="error">Could not read the history: {error}</p>;
  if (!entries) return <p class="empty">Loading the history…</p>;
  if (entries.length === 0) return <p class="empty">Nothing has been decided yet.</p>;
  return (
    <table class="history">
      <thead>
        <tr>
          <th>When</th>
          <th>Session</th>
          <th>Request</th>
          <th>Decision</th>
          <th>Decided by</th>
          <th>Rule</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => {
          const resolution = entry.resolution;
          if (!resolution) return null;
          const added = describeRulesAdded(resolution);
          const rule = resolution.decidedBy.rule?.pattern
            ? resolution.decidedBy.rule.pattern
            : added
              ? `added ${added}`
              : entry.evaluation.rule
                ? `asked by ${entry.evaluation.rule}`
                : null;
          return (
            <tr key={entry.permissionId} data-permission-id={entry.permissionId}>
              <td>{formatTime(resolution.resolvedAt)}</td>
              <td>{entry.sessionId}</td>
              <td>
                <code>{entry.toolName}</code> {entry.action}
                {inputEdited(entry.input, resolution) && <span class="tag">edited</span>}
              </td>
              <td class={resolution.outcome}>
                {describeOutcome(resolution)}
                {resolution.message && <div class="message">{resolution.message}</div>}
              </td>
              <td>
                {resolution.decidedBy.kind === "approver" ? "approver " : ""}
                {describeDecider(resolution)}
              </td>
              <td>{rule ? <code>{rule}</code> : "—"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
