import type { Account } from "./ipc";

export type Status = "valid" | "expiring-soon" | "expired" | "needs-reconnect" | "revoked" | "linked" | "not-connected";

/** Soon: within five minutes of expiry. */
export function statusOf(account: Account, now: number): Status {
  switch (account.status.state) {
    case "needs-reconnect":
    case "revoked":
    case "linked":
    case "not-connected":
      return account.status.state;
  }
  const t = account.token;
  if (!t?.expires_at) return "valid";
  const left = t.expires_at - now;
  if (left <= 0) return "expired";
  return left < 300 ? "expiring-soon" : "valid";
}

export const STATUS_TEXT: Record<Status, string> = {
  valid: "Valid",
  "expiring-soon": "Expiring soon",
  expired: "Expired",
  "needs-reconnect": "Needs reconnect",
  revoked: "Revoked",
  linked: "WhatsApp linked",
  "not-connected": "Not connected",
};
