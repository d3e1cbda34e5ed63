// Issue 19, items 2 and 5: the window's dialogs are modal (Tab stays in,
// Escape closes, focus goes to each step's first field and back to the
// opener), Remove asks first, and a notice goes away by itself or on Dismiss.
// Item 4: a connect that finishes brings its account's row into view, and
// the list's search shortcuts wait while a dialog is open.
// The IPC is mocked at Tauri's `invoke`; everything above it is real.
import { render, screen, waitFor, within } from "@testing-library/svelte";
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
import { JUST_CONNECTED_MS } from "./lib/list";
import { expiring, green, inRow, like, row, waiting, wazzup, wordapp } from "./fixtures";



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

describe("a connect dialog is modal", () => {
  it("keeps Tab inside: Enter never copies another account's token behind it (issue 19)", async () => {
    const user = userEvent.setup();
    render(App);
    const opener = await inRow(wordapp.id, "reconnect");
    await user.click(opener);
    const dialog = await screen.findByTestId("connect-dialog");
    await screen.findByTestId("paste-field");
    for (let i = 0; i < 25; i++) {
      await user.tab();
      expect(dialog.contains(document.activeElement), `Tab ${i + 1} left the dialog for ${document.activeElement?.outerHTML}`).toBe(true);
      if (document.activeElement?.getAttribute("data-testid") !== "cancel-connect") await user.keyboard("{Enter}");
    }
    for (let i = 0; i < 10; i++) {
      await user.tab({ shift: true });
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    expect(calls("copy_token")).toBe(0);
  });

  it("closes on Escape from anywhere inside, ends the sign-in, and gives focus back to the button that opened it", async () => {
    const user = userEvent.setup();
    render(App);
    const opener = await inRow(wordapp.id, "reconnect");
    await user.click(opener);
    const field = await screen.findByTestId("paste-field");
    await waitFor(() => expect(field).toHaveFocus());
    await user.tab();
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("connect-dialog")).not.toBeInTheDocument());
    expect(invoke).toHaveBeenCalledWith("cancel_connect", { id: wordapp.id });
    expect(row(wordapp.id).querySelector("[data-testid=reconnect]")).toHaveFocus();
  });

  it("puts focus on the password when the step asks for it", async () => {
    table.connect_account = { state: "needs-password" };
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    const password = await screen.findByTestId("password");
    await waitFor(() => expect(password).toHaveFocus());
    await user.keyboard("secret");
    expect(password).toHaveValue("secret");
  });

  it("gives the new-account form's first field focus, and focus back to Connect account on Escape", async () => {
    const user = userEvent.setup();
    render(App);
    const connect = await screen.findByTestId("connect-another");
    await user.click(connect);
    await user.click(within(screen.getByTestId("provider-picker")).getByText("Wordapp"));
    const dialog = await screen.findByTestId("connect-dialog");
    await waitFor(() => expect(dialog.querySelector("input, select")).toHaveFocus());
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("connect-dialog")).not.toBeInTheDocument());
    expect(connect).toHaveFocus();
  });

  it("the expired GREEN-API code still has a Close", async () => {
    table.link_state = { authorized: false, ready: true, message: "Ready to link." };
    table.link_request_code = { grouped: "ABCD-EFGH", expires_at: Math.floor(Date.now() / 1000) - 1, phone: "+441234567890" };
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(green.id, "reconnect"));
    await user.click(await screen.findByTestId("get-code"));
    await screen.findByTestId("code-expired");
    await user.click(screen.getByTestId("link-close"));
    await waitFor(() => expect(screen.queryByTestId("connect-dialog")).not.toBeInTheDocument());
  });
});

describe("Remove", () => {
  it("asks first, naming the account and saying nothing is sent; only the confirmation removes", async () => {
    const user = userEvent.setup();
    render(App);
    const remove = await inRow(wordapp.id, "remove");
    await user.click(remove);
    const ask = screen.getByTestId("confirm-remove");
    expect(ask).toHaveAccessibleName("Remove Wordapp new?");
    expect(ask).toHaveTextContent("Nothing is sent to Wordapp");
    expect(screen.getByTestId("confirm-remove-no")).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(screen.queryByTestId("confirm-remove")).not.toBeInTheDocument();
    expect(remove).toHaveFocus();
    await user.click(remove);
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("confirm-remove")).not.toBeInTheDocument();
    expect(calls("remove_account")).toBe(0);

    await user.click(remove);
    await user.click(screen.getByTestId("confirm-remove-yes"));
    await waitFor(() => expect(invoke).toHaveBeenCalledWith("remove_account", { id: wordapp.id }));
    expect(calls("remove_account")).toBe(1);
  });
});

describe("notices", () => {
  it("have a Dismiss", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wazzup.id, "copy-token"));
    await screen.findByTestId("notice");
    await user.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
  });
});

describe("the waiting step (issue 19 item 3)", () => {
  it("counts down, offers Copy address and Open in browser, and Start again once it ran out", async () => {
    const start = Math.floor(Date.now() / 1000);
    table.connect_account = { state: "waiting", url: "https://app.wordapp.com/oauth/authorize?x", via: "paste", expires_at: start + 2 };
    table.open_sign_in = false;
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    expect(await screen.findByTestId("waiting-countdown")).toHaveTextContent(/^0:0[12]$/);
    await user.click(screen.getByTestId("copy-address"));
    expect(invoke).toHaveBeenCalledWith("copy_sign_in", { id: wordapp.id });
    expect(screen.getByTestId("copy-address")).toHaveTextContent("Copied");
    await user.click(screen.getByTestId("open-address"));
    expect(invoke).toHaveBeenCalledWith("open_sign_in", { id: wordapp.id });
    expect(await screen.findByTestId("no-browser")).toBeInTheDocument();
    // The clock ticks every second (time.svelte.ts): the deadline passes.
    expect(await screen.findByTestId("waiting-ended", {}, { timeout: 4000 })).toHaveTextContent("ran out of time");
    table.connect_account = { state: "waiting", url: "https://app.wordapp.com/oauth/authorize?y", via: "paste", expires_at: start + 600 };
    await user.click(screen.getByTestId("start-again"));
    expect(await screen.findByTestId("authorize-url")).toHaveValue("https://app.wordapp.com/oauth/authorize?y");
    expect(calls("connect_account")).toBe(2);
  });

  it("a Reconnect that could not start shows the account's settings, and Connect saves what was corrected into it", async () => {
    const refusal = { kind: "invalid-input", message: "Latch cannot listen on 127.0.0.1:8123 for the redirect (in use)." };
    let starts = 0;
    table.edit_values = [
      ["label", "Wordapp new"],
      ["client_id", "c"],
      ["redirect_uri", "http://127.0.0.1:8123/callback"],
    ];
    table.edit_account = { ...wordapp, settings: { ...wordapp.settings, redirect_uri: "http://127.0.0.1:8124/callback" } };
    invoke.mockImplementation(async (command: string) => {
      if (command === "connect_account" && starts++ === 0) throw refusal;
      return table[command] ?? null;
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    expect(await screen.findByTestId("connect-problem")).toHaveTextContent("cannot listen on 127.0.0.1:8123");
    const redirect = await screen.findByDisplayValue("http://127.0.0.1:8123/callback");
    expect(screen.getByDisplayValue("Wordapp new")).toBeInTheDocument();
    await user.clear(redirect);
    await user.type(redirect, "http://127.0.0.1:8124/callback");
    await user.click(screen.getByTestId("connect-submit"));
    await screen.findByTestId("waiting");
    expect(invoke).toHaveBeenCalledWith("edit_account", {
      id: wordapp.id,
      changes: [["redirect_uri", "http://127.0.0.1:8124/callback"]],
      confirmServer: false,
    });
    expect(calls("add_account")).toBe(0);
  });
});

describe("after a connect (issue 19 item 4)", () => {
  let scrolled: Element[];
  beforeEach(() => {
    scrolled = [];
    // jsdom has none; the row asks for it once it is marked.
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
  });
  afterEach(() => void delete (Element.prototype as Partial<Element>).scrollIntoView);
  const marked = () => [...document.querySelectorAll<HTMLElement>(".just-connected")].map((e) => e.dataset.account);

  it("a new account's row is brought into view and marked once the list has it, and the mark goes", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    table.add_account = like(wordapp, "wordapp-robot", "Wordapp robot", { state: "not-connected" });
    table.connect_account = { state: "connected", message: "Wordapp robot is connected." };
    render(App);
    await user.click(await screen.findByTestId("connect-another"));
    await user.click(within(screen.getByTestId("provider-picker")).getByText("Wordapp"));
    table.list_accounts = [wazzup, wordapp, green, like(wordapp, "wordapp-robot", "Wordapp robot", { state: "connected" }, expiring(3600))];
    await user.click(await screen.findByTestId("connect-submit"));
    await waitFor(() => expect(marked()).toEqual(["wordapp-robot"]));
    expect(scrolled).toEqual([row("wordapp-robot")]);
    await vi.advanceTimersByTimeAsync(JUST_CONNECTED_MS - 500);
    expect(marked()).toEqual(["wordapp-robot"]);
    await vi.advanceTimersByTimeAsync(600);
    expect(marked()).toEqual([]);
    expect(row("wordapp-robot")).toBeInTheDocument();
  });

  it("a Reconnect finished in the browser marks that row; a cancelled one marks none", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    await screen.findByTestId("paste-field");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("connect-dialog")).not.toBeInTheDocument());
    expect(marked()).toEqual([]);
    expect(scrolled).toEqual([]);

    await user.click(within(row(wordapp.id)).getByTestId("reconnect"));
    await screen.findByTestId("paste-field");
    handlers.get("connect-finished")?.({ payload: { account: wordapp.id, ok: true, message: "Wordapp new is connected.", error: null } });
    await waitFor(() => expect(screen.queryByTestId("connect-dialog")).not.toBeInTheDocument());
    await waitFor(() => expect(marked()).toEqual([wordapp.id]));
    expect(scrolled).toEqual([row(wordapp.id)]);
  });
});

describe("the list's shortcuts and a dialog (issue 19 item 4)", () => {
  it("Ctrl+F, Ctrl+K and / wait while the connect dialog is open; Ctrl+Q quits either way", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    const field = await screen.findByTestId("paste-field");
    await waitFor(() => expect(field).toHaveFocus());
    await user.keyboard("{Control>}f{/Control}{Control>}k{/Control}/");
    expect(field).toHaveFocus();
    expect(field).toHaveValue("/");
    await user.keyboard("{Control>}q{/Control}");
    expect(calls("quit")).toBe(1);

    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("connect-dialog")).not.toBeInTheDocument());
    await user.keyboard("{Control>}k{/Control}");
    expect(screen.getByTestId("search")).toHaveFocus();
    await user.keyboard("{Control>}q{/Control}");
    expect(calls("quit")).toBe(2);
  });
});
