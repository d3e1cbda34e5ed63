// Issue 19, item 5: a copy's notice counts down to the clipboard's clear and
// then goes. Its own file: the window's one clock (lib/time.svelte.ts) starts
// with the first App a file renders, and must run on the fake timers.
// The IPC is mocked at Tauri's `invoke`; everything above it is real.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Account } from "./lib/bindings/Account";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
const handlers = new Map<string, (event: { payload: unknown }) => void>();
vi.mock("@tauri-apps/api/event", () => ({
  listen: async (name: string, handler: (event: { payload: unknown }) => void) => {
    handlers.set(name, handler);
    return () => handlers.delete(name);
  },
}));

import App from "./App.svelte";
import { keyring } from "./lib/errors.svelte";

const now = Math.floor(Date.now() / 1000);
const REDIRECT = "app.latch.desktop:/oauth/callback";
const wazzup: Account = {
  id: "wazzup-main",
  label: "Wazzup main",
  settings: { provider: "wazzup", base_url: "https://tech.wazzup24.com", client_id: "c", redirect_uri: REDIRECT, scopes: ["transport"], grant: "authorization_code" },
  status: { state: "connected" },
  token: { token_type: "Bearer", obtained_at: now, expires_at: now + 86400, has_refresh_token: true },
  created_at: 0,
};
const wordapp: Account = {
  id: "wordapp-new",
  label: "Wordapp new",
  settings: { provider: "wordapp", base_url: "https://app.wordapp.com", grant: "authorization_code", client_id: "c", redirect_uri: REDIRECT },
  status: { state: "not-connected" },
  created_at: 0,
};
const green: Account = {
  id: "whatsapp-sales",
  label: "WhatsApp sales",
  settings: { provider: "green-api", api_url: "https://7105.api.greenapi.com", id_instance: 7105, phone: "+44 1234 567890" },
  status: { state: "not-connected" },
  created_at: 0,
};


let table: Record<string, unknown>;
beforeEach(() => {
  keyring.problem = null;
  invoke.mockReset();
  handlers.clear();
  table = {
    list_accounts: [wazzup, wordapp, green],
    keyring_problem: null,
    check_draft: [],
    connect_account: { state: "waiting", url: "https://app.wordapp.com/oauth/authorize?x", via: "paste", expires_at: Math.floor(Date.now() / 1000) + 600 },
    copy_token: "Token copied; the clipboard is cleared in 3 s.",
    remove_account: null,
  };
  invoke.mockImplementation(async (command: string) => table[command] ?? null);
});
afterEach(() => vi.useRealTimers());

const row = (id: string) => document.querySelector<HTMLElement>(`[data-account="${id}"]`)!;
const inRow = async (id: string, testid: string) => {
  await screen.findByText("Wazzup main");
  return within(row(id)).getByTestId(testid);
};
const calls = (command: string) => invoke.mock.calls.filter(([c]) => c === command).length;

describe("notices", () => {
  it("count a copy down to the clipboard's clear, say it was cleared, then go", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    render(App);
    await user.click(await inRow(wazzup.id, "copy-token"));
    const notice = await screen.findByTestId("notice");
    expect(notice).toHaveTextContent("Token copied; the clipboard is cleared in 3 s.");
    await vi.advanceTimersByTimeAsync(1000);
    expect(notice).toHaveTextContent(/cleared in [12] s\./);
    await vi.advanceTimersByTimeAsync(3000);
    expect(screen.getByTestId("notice")).toHaveTextContent("Clipboard cleared.");
    await vi.advanceTimersByTimeAsync(7000);
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
  });
});
