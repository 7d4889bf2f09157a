import { useEffect, useState } from "preact/hooks";
import type { InboxApi, InboxConfig, InboxStatus } from "../inbox-api.ts";
import { useInbox } from "../use-inbox.ts";
import { HistoryView } from "./HistoryView.tsx";
import { RequestCard } from "./RequestCard.tsx";

type View = "pending" | "history";

function Banner(props: { status: InboxStatus }) {
  if (props.status === "open") return null;
  const text =
    props.status === "connecting"
      ? "Connecting to Warden…"
      : props.status === "reconnecting"
        ? "Connection lost. Reconnecting…"
        : "Disconnected.";
  return (
    <div class={`banner ${props.status}`} role="alert" data-testid="connection-banner">
      {text}
    </div>
  );
}

function NotificationButton() {
  const supported = typeof Notification !== "undefined";
  const [permission, setPermission] = useState(supported ? Notification.permission : "denied");
  if (!supported || permission !== "default") return null;
  return (
    <button
      type="button"
      class="quiet"
      onClick={() => void Notification.requestPermission().then(setPermission)}
    >
      Enable notifications
    </button>
  );
}

/** The signed-in page: pending requests live, the history, the connection banner. */
export function Inbox(props: {
  api: InboxApi;
  config: InboxConfig;
  onSignOut: (error?: string) => void;
}) {
  const { state, now, fatal, reply, trackPointer } = useInbox(props.api, props.config.project);
  const [view, setView] = useState<View>("pending");
  const open = state.cards.filter((c) => c.phase !== "settled").length;
  const settledCount = state.cards.length - open;
  const { onSignOut } = props;

  useEffect(() => {
    if (fatal) onSignOut(fatal);
  }, [fatal, onSignOut]);
  useEffect(() => {
    document.title = open > 0 ? `(${open}) Warden inbox` : "Warden inbox";
  }, [open]);

  return (
    <div class="app">
      <Banner status={state.status} />
      <header class="top">
        <h1>Warden</h1>
        <span class="project">project {props.config.project}</span>
        <nav>
          <button
            type="button"
            aria-pressed={view === "pending"}
            onClick={() => setView("pending")}
          >
            Pending{" "}
            <span class="count" data-testid="pending-count">
              {open}
            </span>
          </button>
          <button
            type="button"
            aria-pressed={view === "history"}
            onClick={() => setView("history")}
          >
            History
          </button>
        </nav>
        <NotificationButton />
        <button type="button" class="quiet" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      {view === "pending" ? (
        <section
          class="cards"
          aria-label="Pending requests"
          onPointerMove={(event) => {
            const card = (event.target as Element).closest("article.card");
            trackPointer(true, card?.getAttribute("data-permission-id") ?? null);
          }}
          onPointerLeave={() => trackPointer(false, null)}
        >
          {state.cards.length === 0 && (
            <p class="empty">No request is waiting. New ones appear here as agents ask.</p>
          )}
          {state.cards.map((card) => (
            <RequestCard key={card.request.permissionId} card={card} now={now} onReply={reply} />
          ))}
        </section>
      ) : (
        <HistoryView api={props.api} refreshKey={settledCount} />
      )}
    </div>
  );
}
