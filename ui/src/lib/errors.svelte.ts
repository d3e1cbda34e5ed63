// How the window shows a command's failure, in one place. Every command
// rejects with the core's ErrorReport (Tauri's own refusals, such as a
// malformed argument, with a string), and every place that shows a failure
// reads it through `failed` and shows it with FailureNotice.svelte:
// - "needs-reconnect": the sentence, and Reconnect, which starts the
//   account's connect flow again;
// - "storage" (the keyring): the keyring notice at the top of the window,
//   the same one keyring_problem raises when the window starts;
// - "server-changed": the sentence, and "Use the new server", which connects
//   again after the person agreed to send the account's secrets there;
// - a 429 (`rate_limited`): the sentence, and when to try again;
// - anything else: the sentence.

import type { ErrorReport } from "./bindings/ErrorReport";
import { clock, tick } from "./time.svelte";

export type Failure =
  | { kind: "needs-reconnect"; message: string }
  | { kind: "server-changed"; message: string }
  | { kind: "keyring"; message: string }
  /** `retryAt`: Unix seconds, when the provider said how long to wait. */
  | { kind: "rate-limited"; message: string; retryAt: number | null }
  | { kind: "other"; message: string };

export function isErrorReport(e: unknown): e is ErrorReport {
  if (typeof e !== "object" || e === null) return false;
  const r = e as Partial<ErrorReport>;
  return typeof r.kind === "string" && typeof r.message === "string";
}

/** What a failure means for the window; `now` in Unix seconds. */
export function failureOf(e: unknown, now: number): Failure {
  if (!isErrorReport(e)) return { kind: "other", message: e instanceof Error ? e.message : String(e) };
  const message = e.message;
  if (e.kind === "needs-reconnect") return { kind: "needs-reconnect", message };
  if (e.kind === "server-changed") return { kind: "server-changed", message };
  if (e.kind === "storage") return { kind: "keyring", message };
  if (e.rate_limited) {
    return { kind: "rate-limited", message, retryAt: e.retry_after_secs === null ? null : now + e.retry_after_secs };
  }
  return { kind: "other", message };
}

/** The keyring notice: one for the whole window. */
export const keyring = $state<{ problem: string | null }>({ problem: null });

/** Reads a command's failure; a keyring failure also raises the keyring notice. */
export function failed(e: unknown): Failure {
  // The window's one clock, brought to now: the notice counts down against
  // it, so a wait read against another clock could show a second too many.
  tick();
  const failure = failureOf(e, clock.now);
  if (failure.kind === "keyring") keyring.problem = failure.message;
  return failure;
}
