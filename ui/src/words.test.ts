// Words of the list (issue 19 item 10): an Other OAuth 2.0 account is named
// by its server's host, in its row and its badge, never "Ot".
import { render, screen, within } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Account } from "./lib/bindings/Account";
import { row, wazzup } from "./fixtures";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

import App from "./App.svelte";

const acme: Account = {
  id: "acme",
  label: "Acme",
  settings: {
    provider: "oauth2", authorize_url: "https://auth.acme.example/authorize", token_url: "https://auth.acme.example/token",
    client_id: "c", client_auth: "basic", redirect_uri: "app.latch.desktop:/oauth/callback", scopes: [], pkce: true,
    grant: "authorization_code",
  },
  status: { state: "not-connected" },
  created_at: 0,
};

describe("an Other OAuth 2.0 account in the list", () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockImplementation(async (command: string) => (command === "list_accounts" ? [wazzup, acme] : null));
  });

  it("is named by its server's host, and its badge by the host too", async () => {
    render(App);
    await screen.findByText("Acme");
    expect(within(row("acme")).getByTestId("server")).toHaveTextContent("auth.acme.example · acme");
    expect(row("acme").querySelector(".badge")).toHaveTextContent("Ac");
    expect(within(row(wazzup.id)).getByTestId("server")).toHaveTextContent("Wazzup · wazzup-main");
    expect(row(wazzup.id).querySelector(".badge")).toHaveTextContent("Wa");
  });
});
