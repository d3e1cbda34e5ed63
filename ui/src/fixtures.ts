// The accounts the window's unit tests show (a connected Wazzup, a Wordapp
// and a GREEN-API account not connected yet), others made from them (`like`,
// `many`), and how a test reaches a row.
import { screen, within } from "@testing-library/svelte";
import type { Account } from "./lib/bindings/Account";

/** When the fixtures were made, in Unix seconds. */
export const now = Math.floor(Date.now() / 1000);
const REDIRECT = "app.latch.desktop:/oauth/callback";
export const wazzup: Account = {
  id: "wazzup-main",
  label: "Wazzup main",
  settings: { provider: "wazzup", base_url: "https://tech.wazzup24.com", client_id: "c", redirect_uri: REDIRECT, scopes: ["transport"], grant: "authorization_code" },
  status: { state: "connected" },
  token: { token_type: "Bearer", obtained_at: now, expires_at: now + 86400, has_refresh_token: true },
  created_at: 0,
};
export const wordapp: Account = {
  id: "wordapp-new",
  label: "Wordapp new",
  settings: { provider: "wordapp", base_url: "https://app.wordapp.com", grant: "authorization_code", client_id: "c", redirect_uri: REDIRECT },
  status: { state: "not-connected" },
  created_at: 0,
};
export const green: Account = {
  id: "whatsapp-sales",
  label: "WhatsApp sales",
  settings: { provider: "green-api", api_url: "https://7105.api.greenapi.com", id_instance: 7105, phone: "+44 1234 567890" },
  status: { state: "not-connected" },
  created_at: 0,
};

/** A sign-in waiting for a paste, for ten more minutes. */
export const waiting = (url: string) => ({ state: "waiting", url, via: "paste", expires_at: Math.floor(Date.now() / 1000) + 600 });

export const row = (id: string) => document.querySelector<HTMLElement>(`[data-account="${id}"]`)!;
/** The row's control `testid`, once the list is on screen. */
export const inRow = async (id: string, testid: string) => {
  await screen.findByText("Wazzup main");
  return within(row(id)).getByTestId(testid);
};

/** `base` under another id and label, in `status`, with `token` (none by default). */
export const like = (base: Account, id: string, label: string, status: Account["status"], token?: Account["token"]): Account => ({
  ...base,
  id,
  label,
  status,
  token,
});
/** A token that expires `in` seconds from the fixtures' `now` (in the past when negative). */
export const expiring = (inSeconds: number): NonNullable<Account["token"]> => ({
  token_type: "Bearer",
  obtained_at: now - 60,
  expires_at: now + inSeconds,
  has_refresh_token: true,
});

/**
 * `n` accounts, "Account 001" on, of the three providers above in every
 * status the list tells apart (one in seven each): a list as long as a
 * person with many clients keeps.
 */
export function many(n: number): Account[] {
  const kinds: [Account, Account["status"], Account["token"]][] = [
    [wazzup, { state: "connected" }, expiring(86400)],
    [wordapp, { state: "connected" }, expiring(120)],
    [wazzup, { state: "connected" }, expiring(-60)],
    [wordapp, { state: "needs-reconnect", reason: "The refresh token was refused." }, undefined],
    [wazzup, { state: "revoked" }, undefined],
    [green, { state: "linked" }, undefined],
    [wordapp, { state: "not-connected" }, undefined],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [base, status, token] = kinds[i % kinds.length];
    const number = String(i + 1).padStart(3, "0");
    return like(base, `account-${number}`, `Account ${number}`, status, token);
  });
}
