// The inbox as the page holds it: one card per request, keyed by permission id, in arrival order.
import type {
  InboxFailure,
  InboxStatus,
  PermissionRequest,
  PermissionResolvedEvent,
  Resolution,
} from "./inbox-api.ts";

/** A card's life: open for a reply, a reply in flight, or settled (here or elsewhere). */
export type CardPhase = "open" | "sending" | "settled";

export interface Card {
  readonly request: PermissionRequest;
  readonly phase: CardPhase;
  readonly resolution?: Resolution;
  /** True when this tab's reply settled the request. */
  readonly settledHere?: boolean;
  /** True when this tab tried to reply and another reply had won. */
  readonly lostRace?: boolean;
  /** When the card was settled, for removing it after a while. */
  readonly settledAt?: number;
  /** A failed reply's message (the card is open again). */
  readonly error?: string;
}

export interface InboxState {
  readonly cards: readonly Card[];
  readonly status: InboxStatus;
}

export type InboxEvent =
  | { readonly type: "request"; readonly request: PermissionRequest }
  | { readonly type: "resolved"; readonly event: PermissionResolvedEvent; readonly now: number }
  | { readonly type: "sending"; readonly permissionId: string }
  | {
      readonly type: "replied";
      readonly permissionId: string;
      readonly resolution: Resolution;
      readonly now: number;
    }
  | {
      readonly type: "failed";
      readonly permissionId: string;
      readonly failure: InboxFailure;
      readonly now: number;
    }
  | { readonly type: "status"; readonly status: InboxStatus }
  | { readonly type: "remove"; readonly permissionIds: readonly string[] };

export const initialInbox: InboxState = { cards: [], status: "connecting" };

function update(state: InboxState, permissionId: string, change: (card: Card) => Card): InboxState {
  const index = state.cards.findIndex((c) => c.request.permissionId === permissionId);
  if (index < 0) return state;
  const cards = state.cards.slice();
  cards[index] = change(cards[index]!);
  return { ...state, cards };
}

/** Applies one event; cards never move: new ones go to the end, settled ones stay until removed. */
export function reduceInbox(state: InboxState, event: InboxEvent): InboxState {
  switch (event.type) {
    case "request": {
      const known = state.cards.some((c) => c.request.permissionId === event.request.permissionId);
      if (known) return state;
      return { ...state, cards: [...state.cards, { request: event.request, phase: "open" }] };
    }
    case "resolved":
      return update(state, event.event.permissionId, (card) => {
        if (card.phase === "settled") return card;
        // A reply of ours is in flight: its answer says whether it won; keep the buttons off.
        if (card.phase === "sending") return { ...card, resolution: event.event.resolution };
        return {
          ...card,
          phase: "settled",
          resolution: event.event.resolution,
          settledHere: false,
          settledAt: event.now,
        };
      });
    case "sending":
      return update(state, event.permissionId, (card) =>
        card.phase === "open" ? { request: card.request, phase: "sending" } : card,
      );
    case "replied":
      return update(state, event.permissionId, (card) => ({
        request: card.request,
        phase: "settled",
        resolution: event.resolution,
        settledHere: true,
        settledAt: event.now,
      }));
    case "failed":
      return update(state, event.permissionId, (card) => {
        const resolution = event.failure.resolution ?? card.resolution;
        if (event.failure.code === "already_resolved" || (resolution && card.phase !== "open")) {
          return {
            request: card.request,
            phase: "settled",
            settledHere: false,
            lostRace: event.failure.code === "already_resolved",
            settledAt: event.now,
            ...(resolution ? { resolution } : {}),
          };
        }
        return { request: card.request, phase: "open", error: event.failure.message };
      });
    case "status":
      return state.status === event.status ? state : { ...state, status: event.status };
    case "remove": {
      const ids = new Set(event.permissionIds);
      return { ...state, cards: state.cards.filter((c) => !ids.has(c.request.permissionId)) };
    }
  }
}
