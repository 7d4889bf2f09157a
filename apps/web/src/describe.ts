// Words the page needs beyond the shared ones in @warden/client (who decided, the call line,
// revealed text): dates and edited inputs.
import type { Resolution } from "./inbox-api.ts";

/** Whether the input the agent runs differs from the one it asked with. */
export function inputEdited(
  original: Record<string, unknown>,
  resolution: Resolution | undefined,
): boolean {
  return resolution !== undefined && JSON.stringify(original) !== JSON.stringify(resolution.input);
}

/** A local time with seconds: "14:03:07". */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

/** A local date and time: "2026-12-03 14:03:07" (dates in ISO order whatever the locale). */
export function formatDateTime(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatTime(ms)}`;
}

/** "3.2 kB", "12 B": the size of text as UTF-8. */
export function formatSize(text: string): string {
  const bytes = new TextEncoder().encode(text).length;
  return bytes < 1000 ? `${bytes} B` : `${(bytes / 1000).toFixed(1)} kB`;
}
