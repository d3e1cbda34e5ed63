// An account whose secrets are in a shared store (OpenBao/Vault, issue 20)
// says so in its row, and its Details say who refreshed it last and where.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { like, now, row, wazzup, wordapp } from "./fixtures";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

import App from "./App.svelte";

const shared = { ...wazzup, id: "wazzup-team", label: "Wazzup team", store: "team" };
const details = (lastRefresh: unknown) => ({
  scope: null, token_type: "Bearer", obtained_at: now, expires_at: now + 3600, has_refresh_token: true,
  extras: {}, claims: null, id_token_claims: null, public_key: null, last_used: null, last_used_problem: null,
  last_refresh: lastRefresh,
});

describe("a shared account", () => {
  let lastRefresh: unknown;
  beforeEach(() => {
    lastRefresh = { by: "ana", machine: "build-server", at: now - 120 };
    invoke.mockReset();
    invoke.mockImplementation(async (command: string) => {
      if (command === "list_accounts") return [wazzup, shared];
      if (command === "account_details") return details(lastRefresh);
      return null;
    });
  });

  it("is marked in its row, and only it", async () => {
    render(App);
    await screen.findByText("Wazzup team");
    expect(within(row(shared.id)).getByTestId("shared-mark")).toHaveTextContent("Shared · team");
    expect(within(row(wazzup.id)).queryByTestId("shared-mark")).toBeNull();
  });

  it("says in its Details who refreshed it last and on which machine", async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByText("Wazzup team");
    await user.click(within(row(shared.id)).getByTestId("details"));
    const last = await within(row(shared.id)).findByTestId("last-refresh");
    expect(last).toHaveTextContent("by ana on build-server");
    expect(within(row(shared.id)).getByTestId("details-panel")).toHaveTextContent("kept in the shared store “team”");
  });

  it("says when nobody refreshed it through the store yet", async () => {
    lastRefresh = null;
    const user = userEvent.setup();
    render(App);
    await screen.findByText("Wazzup team");
    await user.click(within(row(shared.id)).getByTestId("details"));
    expect(await within(row(shared.id)).findByTestId("last-refresh")).toHaveTextContent("not refreshed through the store yet");
  });
});

describe("a new account in a shared store", () => {
  let stores: string[];
  beforeEach(() => {
    stores = ["team"];
    invoke.mockReset();
    invoke.mockImplementation(async (command: string) => {
      if (command === "list_accounts") return [wazzup];
      if (command === "list_stores") return stores;
      if (command === "check_draft") return [];
      if (command === "add_account") return like(wordapp, "wordapp-robot", "Wordapp robot", { state: "not-connected" });
      return null;
    });
  });
  const addCall = () => invoke.mock.calls.find(([c]) => c === "add_account");

  it("is asked where its secrets go, and the store chosen goes with the new account", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId("connect-another"));
    await user.click(within(screen.getByTestId("provider-picker")).getByText("Wordapp"));
    const where = await screen.findByTestId("store");
    expect(where).toHaveAccessibleName("Keep its secrets in");
    await user.selectOptions(where, "team");
    await user.click(screen.getByTestId("connect-submit"));
    await vi.waitFor(() => expect(addCall()).toBeDefined());
    expect(addCall()![1]).toMatchObject({ store: "team" });
  });

  it("keeps them in the keyring when nothing else is chosen, and asks nothing when there is no store", async () => {
    stores = [];
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId("connect-another"));
    await user.click(within(screen.getByTestId("provider-picker")).getByText("Wordapp"));
    await screen.findByTestId("connect-submit");
    expect(screen.queryByTestId("store")).toBeNull();
    await user.click(screen.getByTestId("connect-submit"));
    await vi.waitFor(() => expect(addCall()).toBeDefined());
    expect(addCall()![1]).toMatchObject({ store: null });
  });
});
