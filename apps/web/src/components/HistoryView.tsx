import {
  describeActionLines,
  describeCall,
  describeDecider,
  describeOutcome,
  describeRule,
  describeRulesAdded,
  revealName,
  revealText,
} from "@warden/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { formatDateTime, inputEdited } from "../describe.ts";
import { describeFailure, type HistoryEntry, type InboxApi } from "../inbox-api.ts";

const PAGE = 100;

/** Who or what decided each request, when, and by which rule; newest first. */
export function HistoryView(props: { api: InboxApi; refreshKey: number }) {
  const [entries, setEntries] = useState<readonly HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { api, refreshKey } = props;

  // The history is the project's own index (reading it wakes no session): read it again whenever
  // it gained entries. One read at a time; entries that arrive during a read cause one more.
  const reads = useRef({ running: false, again: false, alive: true });
  useEffect(() => {
    const state = reads.current;
    state.alive = true;
    const load = () => {
      if (state.running) {
        state.again = true;
        return;
      }
      state.running = true;
      state.again = false;
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
        .finally(() => {
          state.running = false;
          if (state.again && state.alive) load();
        });
    };
    // refreshKey changes whenever the project's history gained entries.
    void refreshKey;
    load();
    return () => {
      state.alive = false;
    };
  }, [api, refreshKey]);

  if (error) return <p class="error">Could not read the history: {revealText(error)}</p>;
  if (!entries) return <p class="empty">Loading the history…</p>;
  if (entries.length === 0) return <p class="empty">Nothing has been decided yet.</p>;
  return <HistoryTable entries={entries} />;
}

type Filters = {
  readonly humans: boolean;
  readonly denials: boolean;
  readonly session: string;
  readonly tool: string;
};

const NO_FILTER: Filters = { humans: false, denials: false, session: "", tool: "" };

function matches(entry: HistoryEntry, filters: Filters): boolean {
  const resolution = entry.resolution;
  if (!resolution) return false;
  if (filters.humans && resolution.decidedBy.kind !== "approver") return false;
  if (filters.denials && resolution.outcome !== "deny") return false;
  if (filters.session && entry.sessionId !== filters.session) return false;
  if (filters.tool && entry.toolName !== filters.tool) return false;
  return true;
}

/** The rule behind a decision: the deciding rule, the rule an "always" added, or the one that asked. */
function ruleOf(entry: HistoryEntry): string | null {
  const resolution = entry.resolution!;
  if (resolution.decidedBy.rule?.pattern) return describeRule(resolution.decidedBy.rule.pattern);
  const added = describeRulesAdded(resolution);
  if (added) return `added ${added}`;
  return entry.evaluation.rule ? `asked by ${describeRule(entry.evaluation.rule)}` : null;
}

function HistoryTable(props: { entries: readonly HistoryEntry[] }) {
  const [filters, setFilters] = useState<Filters>(NO_FILTER);
  const set = (change: Partial<Filters>) => setFilters({ ...filters, ...change });
  const sessions = [...new Set(props.entries.map((e) => e.sessionId))].sort();
  const tools = [...new Set(props.entries.map((e) => e.toolName))].sort();
  const shown = props.entries.filter((entry) => matches(entry, filters));
  return (
    <>
      <form class="filters" aria-label="Filter the history" onSubmit={(e) => e.preventDefault()}>
        <label>
          <input
            type="checkbox"
            checked={filters.humans}
            onChange={(e) => set({ humans: e.currentTarget.checked })}
          />
          decided by a person
        </label>
        <label>
          <input
            type="checkbox"
            checked={filters.denials}
            onChange={(e) => set({ denials: e.currentTarget.checked })}
          />
          denials only
        </label>
        <label>
          session{" "}
          <select
            value={filters.session}
            aria-label="Session"
            onChange={(e) => set({ session: e.currentTarget.value })}
          >
            <option value="">all</option>
            {sessions.map((id) => (
              <option key={id} value={id}>
                {revealText(id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          tool{" "}
          <select
            value={filters.tool}
            aria-label="Tool"
            onChange={(e) => set({ tool: e.currentTarget.value })}
          >
            <option value="">all</option>
            {tools.map((name) => (
              <option key={name} value={name}>
                {revealName(name)}
              </option>
            ))}
          </select>
        </label>
        <span class="hint" data-testid="history-count">
          {shown.length} of {props.entries.length}
        </span>
      </form>
      <div class="history-wrap">
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
            {shown.map((entry) => {
              const resolution = entry.resolution!;
              const rule = ruleOf(entry);
              return (
                <tr key={entry.permissionId} data-permission-id={entry.permissionId}>
                  <td>{formatDateTime(resolution.resolvedAt)}</td>
                  <td class="session">{revealText(entry.sessionId)}</td>
                  <td>
                    <code>{revealName(entry.toolName)}</code> {describeActionLines(entry).call}
                    {inputEdited(entry.input, resolution) && (
                      // What ran (or was refused) is the edited input: the row says so, whole.
                      <div class="edited-to" data-testid="edited-to">
                        <span class="tag">edited</span> to{" "}
                        {revealText(describeCall(entry.toolName, resolution.input))}
                      </div>
                    )}
                  </td>
                  <td class={resolution.outcome}>
                    {describeOutcome(resolution)}
                    {resolution.message && (
                      <div class="message">{revealText(resolution.message)}</div>
                    )}
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
      </div>
    </>
  );
}
