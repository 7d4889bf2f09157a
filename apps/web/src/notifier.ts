// One desktop notification per request, however many tabs are open: the tabs elect one leader
// with a Web Lock, only the leader notifies, and the ids it notified are remembered in
// localStorage so that a new leader (after the old tab closed) does not notify them again.
import { describeActionLines, revealName, revealText } from "@warden/client";
import type { PermissionRequest } from "./inbox-api.ts";
import { chime, soundEnabled } from "./sound.ts";

const NOTIFIED_KEY = "warden.notified";
const REMEMBERED = 500;

export interface Notifier {
  notify(request: PermissionRequest): void;
  dispose(): void;
}

function readNotified(): string[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(NOTIFIED_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  } catch {
    return [];
  }
}

/** Starts taking part in the election for the project's notifier. */
export function createNotifier(project: string): Notifier {
  let leader = false;
  let release: (() => void) | undefined;
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (locks) {
    void locks
      .request(`warden.inbox.notifier.${project}`, () => {
        leader = true;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      })
      .catch(() => undefined);
  } else {
    // Without Web Locks (an insecure origin) every tab notifies; the tag lets the browser merge them.
    leader = true;
  }

  return {
    notify(request) {
      if (!leader) return;
      const notified = readNotified();
      if (notified.includes(request.permissionId)) return;
      localStorage.setItem(
        NOTIFIED_KEY,
        JSON.stringify([...notified, request.permissionId].slice(-REMEMBERED)),
      );
      if (soundEnabled()) chime();
      if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
      const notification = new Notification(
        `Warden: ${revealName(request.toolName)} needs a decision`,
        {
          body: `${revealText(request.sessionId)}: ${describeActionLines(request).call}`,
          tag: request.permissionId,
        },
      );
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    },
    dispose() {
      leader = false;
      release?.();
    },
  };
}
