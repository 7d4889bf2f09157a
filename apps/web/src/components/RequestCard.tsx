import { useState } from "preact/hooks";
import {
  describeDecider,
  describeOutcome,
  describeRulesAdded,
  inputEdited,
  prettyJson,
} from "../describe.ts";
import type { PermissionReply, PermissionRequest, RespondOptions } from "../inbox-api.ts";
import type { Card } from "../inbox-state.ts";
import { AlwaysPanel } from "./AlwaysPanel.tsx";
import { Countdown } from "./Countdown.tsx";
import { EditPanel } from "./EditPanel.tsx";
import { JsonDiff } from "./JsonDiff.tsx";
import { Suggestions } from "./Suggestions.tsx";

export type ReplyHandler = (
  request: PermissionRequest,
  reply: PermissionReply,
  options?: RespondOptions,
) => void;

type Panel = "always" | "reject" | "edit" | null;

/**
 * One request. Its buttons close over this card's request, and the list keys cards by permission
 * id, so a button always acts on the request it is drawn on; they are disabled while a reply is in
 * flight and gone once the request is settled.
 */
export function RequestCard(props: { card: Card; now: number; onReply: ReplyHandler }) {
  const { card, now } = props;
  const { request } = card;
  const [panel, setPanel] = useState<Panel>(null);
  const [message, setMessage] = useState("");
  const expired = now >= request.expiresAt;
  const open = card.phase === "open" && !expired;
  const reply = (kind: PermissionReply, options?: RespondOptions) => {
    if (open) props.onReply(request, kind, options);
  };
  const toggle = (next: Panel) => setPanel(panel === next ? null : next);
  const state = card.phase === "settled" ? settledState(card) : expired ? "expired" : card.phase;

  return (
    <article
      class={`card ${state}`}
      data-permission-id={request.permissionId}
      data-session-id={request.sessionId}
      data-request-id={request.requestId}
      data-state={state}
      aria-busy={card.phase === "sending"}
    >
      <header class="card-head">
        <span class="session" title="session">
          {request.sessionId}
        </span>
        <span class="tool">{request.toolName}</span>
        {card.phase !== "settled" && <Countdown expiresAt={request.expiresAt} now={now} />}
      </header>
      <h3 class="action">{request.action}</h3>
      {request.details && <p class="details">{request.details}</p>}
      <p class="why">Asked because: {request.evaluation.message}</p>

      {card.resolution && inputEdited(request.input, card.resolution) ? (
        <JsonDiff before={request.input} after={card.resolution.input} />
      ) : (
        <pre class="json" data-testid="input">
          {prettyJson(request.input)}
        </pre>
      )}

      {panel !== "always" && <Suggestions suggestions={request.suggestions} />}

      {card.phase === "settled" ? (
        <Settled card={card} />
      ) : (
        <>
          <div class="actions">
            <button type="button" class="allow" disabled={!open} onClick={() => reply("once")}>
              Allow once
            </button>
            <button
              type="button"
              disabled={!open}
              aria-expanded={panel === "always"}
              onClick={() => toggle("always")}
            >
              Always…
            </button>
            <button
              type="button"
              disabled={!open}
              aria-expanded={panel === "edit"}
              onClick={() => toggle("edit")}
            >
              Edit input…
            </button>
            <button
              type="button"
              class="reject"
              disabled={!open}
              aria-expanded={panel === "reject"}
              onClick={() => toggle("reject")}
            >
              Reject…
            </button>
            {card.phase === "sending" && <span class="sending">sending…</span>}
            {expired && card.phase === "open" && (
              <span class="sending">time is up: the request is being rejected</span>
            )}
          </div>
          {card.error && (
            <p class="error" role="alert">
              {card.error}
            </p>
          )}
          {panel === "always" && (
            <AlwaysPanel
              suggestions={request.suggestions}
              disabled={!open}
              onConfirm={(rule, scope) => reply("always", { rule, scope })}
            />
          )}
          {panel === "edit" && (
            <EditPanel
              input={request.input}
              disabled={!open}
              onConfirm={(updatedInput) => reply("once", { updatedInput })}
            />
          )}
          {panel === "reject" && (
            <form
              class="panel"
              onSubmit={(event) => {
                event.preventDefault();
                reply("reject", message.trim() ? { message: message.trim() } : {});
              }}
            >
              <label>
                Message to the agent (optional)
                <textarea
                  rows={2}
                  value={message}
                  placeholder="Why not, or what to do instead"
                  onInput={(event) => setMessage(event.currentTarget.value)}
                />
              </label>
              <button type="submit" class="reject" disabled={!open}>
                Reject
              </button>
            </form>
          )}
        </>
      )}
    </article>
  );
}

function settledState(card: Card): string {
  if (card.settledHere) return "answered";
  if (card.resolution?.reason === "timed_out") return "timed-out";
  return "answered-elsewhere";
}

function Settled(props: { card: Card }) {
  const { card } = props;
  const resolution = card.resolution;
  if (!resolution) {
    return (
      <p class="settled" role="status">
        Already answered elsewhere. Your reply was not applied.
      </p>
    );
  }
  const outcome = describeOutcome(resolution);
  const rules = describeRulesAdded(resolution);
  let line: string;
  if (card.settledHere) line = `${outcome} by you.`;
  else if (card.lostRace)
    line = `Already answered by ${describeDecider(resolution)}: ${outcome.toLowerCase()}. Your reply was not applied.`;
  else if (resolution.reason === "timed_out") line = "Timed out: nobody answered in time.";
  else line = `Answered elsewhere by ${describeDecider(resolution)}: ${outcome.toLowerCase()}.`;
  return (
    <div class="settled" role="status">
      <strong>{line}</strong>
      {rules && <span> Rule added: {rules}.</span>}
      {resolution.message && <span class="message"> {resolution.message}</span>}
    </div>
  );
}
