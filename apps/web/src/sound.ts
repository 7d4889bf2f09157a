// An optional chime for new requests, off by default; the choice is kept in localStorage.
const KEY = "warden.sound";

export function soundEnabled(): boolean {
  try {
    return localStorage.getItem(KEY) === "on";
  } catch {
    return false;
  }
}

export function setSoundEnabled(on: boolean): void {
  localStorage.setItem(KEY, on ? "on" : "off");
}

let context: AudioContext | undefined;

/** Two short tones. Counted on the page (`data-chimes` on <html>) so a test can see it played. */
export function chime(): void {
  const root = document.documentElement;
  root.dataset.chimes = String(Number(root.dataset.chimes ?? "0") + 1);
  try {
    context ??= new AudioContext();
    const start = context.currentTime;
    for (const [offset, frequency] of [
      [0, 880],
      [0.16, 1320],
    ] as const) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.15, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.14);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.15);
    }
  } catch {
    // No audio (a browser policy before any click): the count above still says it was due.
  }
}
