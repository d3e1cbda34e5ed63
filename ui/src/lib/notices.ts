// What a success notice says as time passes, and how long it stays. A copy's
// notice ("… the clipboard is cleared in 45 s.", copy_token's words) counts
// down to the clear and then says it happened; any other notice goes after
// a few seconds. Failures are not transient: they stay until dismissed.

/** How long a notice stays once nothing in it changes any more, in seconds. */
export const NOTICE_STAYS = 6;

const CLEARS = /^(.*?)the clipboard is cleared in (\d+) s\.(.*)$/s;

/** The notice's text `now` (Unix seconds) for one shown at `shownAt`. */
export function noticeText(text: string, shownAt: number, now: number): string {
  const m = CLEARS.exec(text);
  if (!m) return text;
  const left = Number(m[2]) - (now - shownAt);
  return left > 0 ? `${m[1]}the clipboard is cleared in ${left} s.${m[3]}` : `Clipboard cleared.${m[3]}`;
}

/** Seconds after it was shown that the notice goes away. */
export function noticeLasts(text: string): number {
  const m = CLEARS.exec(text);
  return (m ? Number(m[2]) : 0) + NOTICE_STAYS;
}
