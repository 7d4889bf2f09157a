// The inbox's keys, as a pure function of the key and the list: which card to select, or which
// action to take on the selected card. The page applies the result.
import type { Card } from "./inbox-state.ts";

export type KeyAction =
  | { readonly kind: "select"; readonly permissionId: string }
  | { readonly kind: "once" | "always" | "edit" | "reject"; readonly permissionId: string }
  | { readonly kind: "help" }
  | { readonly kind: "close" }
  | { readonly kind: "note"; readonly text: string };

/** The keys and what they do, as the help on the page lists them. */
export const KEYS: readonly (readonly [string, string])[] = [
  ["j / k", "select the next / previous request"],
  ["o", "allow the selected request once"],
  ["a", "always: open the rule panel of the selected request"],
  ["e", "edit the input of the selected request"],
  ["r", "reject the selected request (type a message, Enter sends)"],
  ["?", "show or hide this help"],
  ["Esc", "close the help"],
];

const ACTIONS = { o: "once", a: "always", e: "edit", r: "reject" } as const;

/** Whether a key press belongs to a text field (never a shortcut there). */
export function isTextTarget(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || typeof element.closest !== "function") return false;
  if (element.isContentEditable) return true;
  const field = element.closest("input, textarea, select");
  if (!field) return false;
  const type = (field as HTMLInputElement).type;
  return !(field.tagName === "INPUT" && (type === "radio" || type === "checkbox"));
}

/**
 * What a key does. Only open cards can be selected; an action needs a selected card that is
 * still open (a settled or removed card is never answered by a key).
 */
export function keyAction(
  key: string,
  cards: readonly Card[],
  selected: string | null,
): KeyAction | null {
  const open = cards.filter((card) => card.phase === "open").map((c) => c.request.permissionId);
  if (key === "?") return { kind: "help" };
  if (key === "Escape") return { kind: "close" };
  if (key === "j" || key === "k" || key === "ArrowDown" || key === "ArrowUp") {
    if (open.length === 0) return { kind: "note", text: "No request is waiting." };
    const step = key === "j" || key === "ArrowDown" ? 1 : -1;
    const ids = cards.map((card) => card.request.permissionId);
    const at = selected === null ? -1 : ids.indexOf(selected);
    if (at < 0) return { kind: "select", permissionId: step > 0 ? open[0]! : open.at(-1)! };
    // The next open card from the selected one's place (it may have been answered meanwhile).
    for (let i = at + step; i >= 0 && i < ids.length; i += step)
      if (open.includes(ids[i]!)) return { kind: "select", permissionId: ids[i]! };
    return open.includes(selected!)
      ? { kind: "select", permissionId: selected! }
      : { kind: "select", permissionId: step > 0 ? open.at(-1)! : open[0]! };
  }
  const kind = ACTIONS[key as keyof typeof ACTIONS];
  if (!kind) return null;
  if (selected === null) return { kind: "note", text: "Select a request first (j / k)." };
  if (!open.includes(selected)) {
    return { kind: "note", text: "The selected request is no longer open: nothing was sent." };
  }
  return { kind, permissionId: selected };
}
