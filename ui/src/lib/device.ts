// The device code sign-in's text on screen (RFC 8628): the user code set
// out to be read and typed, and the time left on it. The codes and the
// polling are the core's; this only writes them.

/** How long a group of an unbroken user code is. */
const GROUP = 4;

/**
 * The user code as the dialog shows it: a code the server already broke
 * into groups (`WDJB-MJHT`, RFC 8628 §6.1's example) as it is; an unbroken
 * one split into groups of four by spaces, which a server ignores when the
 * person types them (§6.1: characters outside its set are dropped). A short
 * code (up to six characters) stays whole.
 */
export function groupUserCode(code: string): string {
  const trimmed = code.trim();
  if (/[\s\-–.]/.test(trimmed) || trimmed.length <= 6) return trimmed;
  const groups: string[] = [];
  for (let i = 0; i < trimmed.length; i += GROUP) groups.push(trimmed.slice(i, i + GROUP));
  return groups.join(" ");
}

/** Seconds left as "m:ss" ("14:05", "0:09"); "0:00" once passed. */
export function countdown(left: number): string {
  const s = Math.max(0, Math.floor(left));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
