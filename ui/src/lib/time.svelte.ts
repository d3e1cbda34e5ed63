// One clock for the whole window: every "expires in" reads `clock.now`, so a
// tick updates only the text that changed, never the whole list.

export const clock = $state({ now: Math.floor(Date.now() / 1000) });

let timer: ReturnType<typeof setInterval> | undefined;

/** Reads the time now (the ticker may be up to a second behind). */
export function tick() {
  clock.now = Math.floor(Date.now() / 1000);
}

export function startClock() {
  timer ??= setInterval(tick, 1000);
}

/** "1 h 12 m", "23 h 59 m", "45 s", "expired 3 m ago". */
export function timeLeft(expiresAt: number | null | undefined, now: number): string {
  if (expiresAt === undefined || expiresAt === null) return "no expiry";
  const left = expiresAt - now;
  if (left <= 0) return `expired ${span(-left)} ago`;
  return `expires in ${span(left)}`;
}

export function span(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
