// Where the inbox connects and with which token: from the URL fragment or the login form, kept in
// sessionStorage (this tab only, gone when it closes), and taken out of the address bar at once.
import type { InboxConfig } from "./inbox-api.ts";

const STORAGE_KEY = "warden.inbox";

/** The server the page talks to unless the fragment or the login form names another. */
export const DEFAULT_ENDPOINT: string =
  import.meta.env.VITE_WARDEN_ENDPOINT ?? "http://127.0.0.1:6420";
export const DEFAULT_PROJECT: string = import.meta.env.VITE_WARDEN_PROJECT ?? "demo";

function parse(value: unknown): InboxConfig | null {
  const v = value as Partial<InboxConfig> | null;
  if (!v || typeof v.token !== "string" || v.token.length === 0) return null;
  return {
    token: v.token,
    endpoint: typeof v.endpoint === "string" && v.endpoint ? v.endpoint : DEFAULT_ENDPOINT,
    project: typeof v.project === "string" && v.project ? v.project : DEFAULT_PROJECT,
  };
}

/**
 * Reads `#token=…&project=…&endpoint=…`; a token found there replaces the stored settings, and the
 * fragment is removed from the address bar and the history so that it is not shared or bookmarked.
 */
export function loadSettings(
  location: Location,
  storage: Storage,
  options: { fragmentOnly?: boolean } = {},
): InboxConfig | null {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const fromUrl = parse(Object.fromEntries(fragment));
  if (fromUrl) {
    saveSettings(storage, fromUrl);
    history.replaceState(null, "", location.pathname + location.search);
    return fromUrl;
  }
  if (options.fragmentOnly) return null;
  try {
    return parse(JSON.parse(storage.getItem(STORAGE_KEY) ?? "null"));
  } catch {
    return null;
  }
}

export function saveSettings(storage: Storage, settings: InboxConfig): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(settings));
}

export function clearSettings(storage: Storage): void {
  storage.removeItem(STORAGE_KEY);
}
