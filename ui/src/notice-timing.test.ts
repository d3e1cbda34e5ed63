// Issue 19, item 5: a copy's notice counts down to the clipboard's clear and
// then goes. Its own file: the window's one clock (lib/time.svelte.ts) starts
// with the first App a file renders, and must run on the fake timers.
// The IPC is mocked at Tauri's `invoke`; everything above it is real.
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

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
import { green, inRow, waiting, wazzup, wordapp } from "./fixtures";



let table: Record<string, unknown>;
beforeEach(() => {
  keyring.problem = null;
  invoke.mockReset();
  handlers.clear();
  table = {
    list_accounts: [wazzup, wordapp, green],
    keyring_problem: null,
    check_draft: [],
    connect_account: waiting("https://app.wordapp.com/oauth/authorize?x"),
    copy_token: "Token copied; the clipboard is cleared in 3 s.",
    remove_account: null,
  };
  invoke.mockImplementation(async (command: string) => table[command] ?? null);
});
afterEach(() => vi.useRealTimers());

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
