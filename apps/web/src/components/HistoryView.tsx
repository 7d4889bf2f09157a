import { useEffect, useRef, useState } from "preact/hooks";
import {
  describeDecider,
  describeOutcome,
  describeRulesAdded,
  formatTime,
  inputEdited,
} from "../describe.ts";
import { describeFailure, type HistoryEntry, type InboxApi } from "../inbox-api.ts";

const PAGE = 100;
const MIN_INTERVAL_MS = 5_000;

/** Who or what decided each request, when, and by which rule; newest first. */
export function HistoryView(props: { api: InboxApi; refreshKey: number }) {
  const [entries, setEntries] = useState<readonly HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { api, refreshKey } = props;

  // Reading the history wakes every session of the project: one read at a time, at most one
  // every few seconds, however fast requests are settled meanwhile.
  const loader = useRef({ loading: false, stale: false, alive: true });
  useEffect(() => {
    const state = loader.current;
    state.alive = true;
    const load = () => {
      if (state.loading) {
        state.stale = true;
        return;
      }
      state.loading = true;
      state.stale = false;
      api
        .history({ limit: PAGE })
        .then(
          (page) => {
            if (!state.alive) return;
            setEntries(page.entries);
            setError(null);
          },
          (failure: unknown) => state.alive && setError(describeFailure(failure).message),
        )
        .finally(() =>
          setTimeout(() => {
            state.loading = false;
            if (state.stale && state.alive) load();
          }, MIN_INTERVAL_MS),
        );
    };
    // refreshKey changes whenever a request is settled: read the log again.
    void refreshKey;
    load();
    return () => {
      state.alive = false;
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
