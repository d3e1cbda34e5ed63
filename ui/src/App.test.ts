import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
// Events from the backend: tests fire them with `emit`.
const handlers = new Map<string, (event: { payload: unknown }) => void>();
vi.mock("@tauri-apps/api/event", () => ({
  listen: async (name: string, handler: (event: { payload: unknown }) => void) => {
    handlers.set(name, handler);
    return () => handlers.delete(name);
  },
}));
const emit = (name: string, payload: unknown = null) => handlers.get(name)?.({ payload });

import App from "./App.svelte";
import { keyring } from "./lib/errors.svelte";

describe("the window with no accounts", () => {
  beforeEach(() => {
    keyring.problem = null;
    invoke.mockReset();
    invoke.mockImplementation(async (command: string) => (command === "list_accounts" ? [] : null));
  });

  it("asks the core for the accounts and shows the empty state", async () => {
    render(App);
    expect(await screen.findByRole("heading", { name: "No accounts yet" })).toBeInTheDocument();
    expect(invoke).toHaveBeenCalledWith("list_accounts");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("shows the keyring's problem in plain words and keeps working", async () => {
    invoke.mockImplementation(async (command: string) =>
      command === "keyring_problem"
        ? { kind: "storage", code: null, message: "There is no D-Bus session, so Latch cannot reach the system keyring.", rate_limited: false, retry_after_secs: null }
        : [],
    );
    render(App);
    expect(await screen.findByRole("alert")).toHaveTextContent("cannot reach the system keyring");
    expect(screen.getByRole("button", { name: "Connect account" })).toBeEnabled();
  });

  it("opens the provider picker from Connect account, with every provider", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByRole("button", { name: "Connect account" }));
    const picker = screen.getByRole("dialog", { name: "Connect an account" });
    const names = within(picker)
      .getAllByRole("button")
      .map((b) => b.querySelector(".name")?.textContent)
      .filter(Boolean);
    expect(names).toEqual(["Wazzup", "PayU", "GREEN-API", "Wordapp", "Other OAuth 2.0"]);
  });

  it("shows the core's problems beside the fields and adds nothing until they are fixed", async () => {
    const user = userEvent.setup();
    const drafts: unknown[] = [];
    invoke.mockImplementation(async (command: string, args?: { draft?: { values: Record<string, string> } }) => {
      if (command === "list_accounts") return [];
      if (command === "check_draft") {
        drafts.push(args?.draft);
        const email = args?.draft?.values.email ?? "";
        return email.includes("@") ? [] : [{ field: "email", missing: !email, message: "Enter the e-mail you log in to Wazzup with." }];
      }
      return null;
    });
    render(App);
    await user.click(await screen.findByRole("button", { name: "Connect account" }));
    await user.click(screen.getByRole("button", { name: /^Wazzup/ }));
    await user.type(screen.getByLabelText("Partner login e-mail"), "partner");
    await user.click(screen.getByTestId("connect-submit"));
    expect(await screen.findByText("Enter the e-mail you log in to Wazzup with.")).toBeInTheDocument();
    expect(invoke).not.toHaveBeenCalledWith("add_account", expect.anything());
    expect(drafts.at(-1)).toMatchObject({ provider: "wazzup", values: { email: "partner", scopes: "transport,crm" } });
  });

  it("moves focus into the picker and closes it with Escape", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByRole("button", { name: "Connect account" }));
    const picker = screen.getByRole("dialog");
    expect(picker.contains(document.activeElement)).toBe(true);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("says so plainly when the core cannot list the accounts", async () => {
    invoke.mockImplementation(async (command: string) => {
      if (command === "list_accounts") throw "the data directory is not writable";
      return null;
    });
    render(App);
    expect(await screen.findByRole("alert")).toHaveTextContent("the data directory is not writable");
  });

  it("reloads the list when the backend says the accounts changed", async () => {
    render(App);
    await screen.findByRole("heading", { name: "No accounts yet" });
    invoke.mockImplementation(async (command: string) =>
      command === "list_accounts"
        ? [{ id: "wazzup-main", label: "Wazzup main", settings: { provider: "wazzup" }, status: { state: "connected" }, created_at: 0 }]
        : null,
    );
    emit("accounts-changed");
    expect(await screen.findByText("Wazzup main")).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "No accounts yet" })).not.toBeInTheDocument();
  });
});
