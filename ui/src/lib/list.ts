// How the window's list is laid out (issue 19, item 4): in groups by what
// they need from a person, most urgent first, and within a group by label.
// The order never reads the clock: a row moves only when its account
// changes group (valid to expiring soon, expiring soon to expired), so it
// does not slide away under the pointer as seconds pass. Searching and
// filtering only leave rows out; they never reorder what stays.

import type { Account } from "./ipc";
import { providerOf, type ProviderId } from "./providers";
import { statusOf, type Status } from "./status";

/** The list's groups, in the order it shows them. */
export const GROUPS = ["needs-attention", "expiring-soon", "valid", "not-connected"] as const;
export type Group = (typeof GROUPS)[number];

export const GROUP_TEXT: Record<Group, string> = {
  "needs-attention": "Needs attention",
  "expiring-soon": "Expiring soon",
  valid: "Valid",
  "not-connected": "Not connected",
};

// A needs-reconnect account without an expiry is the most urgent of all,
// not the last row (as sorting by expiry made it): it cannot hand out a token.
const GROUP_OF: Record<Status, Group> = {
  "needs-reconnect": "needs-attention",
  revoked: "needs-attention",
  expired: "needs-attention",
  "expiring-soon": "expiring-soon",
  valid: "valid",
  linked: "valid",
  "not-connected": "not-connected",
};

export const groupOf = (status: Status): Group => GROUP_OF[status];

/** Label, then id: an order no tick of the clock changes. */
export function byLabel(a: Account, b: Account): number {
  return a.label.localeCompare(b.label) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** How long the row of an account just connected stays marked (app.css fades it over as long). */
export const JUST_CONNECTED_MS = 4000;

/** What the person narrowed the list to; an empty choice keeps everything. */
export type Filters = {
  query: string;
  groups: readonly Group[];
  providers: readonly ProviderId[];
};

export const NO_FILTERS: Filters = { query: "", groups: [], providers: [] };

/** Whether `account` is one the search `query` names: its label, id or provider. */
export function matches(account: Account, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const provider = account.settings.provider;
  return `${account.label} ${account.id} ${provider} ${providerOf(provider).name}`.toLowerCase().includes(q);
}

export type Section = { group: Group; accounts: Account[] };

/**
 * The sections to show: `inOrder` (sorted by `byLabel`) split by
 * `groups[i]`, the group of `inOrder[i]`, keeping what `filters` let through;
 * empty sections are left out.
 */
export function sections(inOrder: readonly Account[], groups: readonly Group[], filters: Filters): Section[] {
  const found = new Map<Group, Account[]>(GROUPS.map((g) => [g, []]));
  inOrder.forEach((account, i) => {
    const group = groups[i];
    if (filters.groups.length && !filters.groups.includes(group)) return;
    if (filters.providers.length && !filters.providers.includes(account.settings.provider)) return;
    if (!matches(account, filters.query)) return;
    found.get(group)!.push(account);
  });
  return GROUPS.filter((g) => found.get(g)!.length).map((group) => ({ group, accounts: found.get(group)! }));
}

/** The list at `now`, grouped and filtered. */
export function grouped(accounts: readonly Account[], now: number, filters: Filters = NO_FILTERS): Section[] {
  const inOrder = [...accounts].sort(byLabel);
  return sections(inOrder, inOrder.map((a) => groupOf(statusOf(a, now))), filters);
}
