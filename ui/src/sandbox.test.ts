// The sandbox lives on in the window (issue 19 item 6): a control to start
// and stop it whenever demo accounts exist, and for a GREEN-API demo
// account a "Simulate the phone" step, since the sandbox has no phone.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { green, now, row, wazzup } from "./fixtures";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

import App from "./App.svelte";

const demoGreen = { ...green, id: "sandbox-green-api", label: "WhatsApp (sandbox)", sandbox: true };
let table: Record<string, unknown>;
const calls = (command: string) => invoke.mock.calls.filter(([c]) => c === command);

beforeEach(() => {
  invoke.mockReset();
  table = {
    list_accounts: [wazzup, demoGreen],
    sandbox_running: false,
    start_sandbox: "The sandbox is running; its demo accounts answer again.",
    stop_sandbox: "The sandbox stopped; Start sandbox brings its demo accounts back.",
    link_state: { authorized: false, ready: true, message: "Ready to link." },
    link_request_code: { grouped: "ABCD-EFGH", expires_at: now + 150, phone: "+441234567890", warning: "fake" },
  };
  invoke.mockImplementation(async (command: string) => table[command] ?? null);
});

describe("the sandbox control", () => {
  it("shows with demo accounts, says the sandbox stopped, and starts it", async () => {
    const user = userEvent.setup();
    render(App);
    expect(await screen.findByTestId("sandbox-state")).toHaveTextContent("Sandbox stopped");
    table.sandbox_running = true;
    await user.click(screen.getByTestId("sandbox-toggle"));
    expect(calls("start_sandbox")).toHaveLength(1);
    expect(await screen.findByTestId("notice")).toHaveTextContent("The sandbox is running");
    expect(await screen.findByText("Sandbox running")).toBeInTheDocument();
    await user.click(screen.getByTestId("sandbox-toggle"));
    expect(calls("stop_sandbox")).toHaveLength(1);
  });

  it("is not there without demo accounts", async () => {
    table.list_accounts = [wazzup];
    render(App);
    await screen.findByText("Wazzup main");
    expect(screen.queryByTestId("sandbox-toggle")).toBeNull();
    expect(calls("sandbox_running")).toHaveLength(0);
  });
});

describe("Simulate the phone", () => {
  async function codeShown(id: string) {
    const user = userEvent.setup();
    render(App);
    await screen.findByText("Wazzup main");
    await user.click(within(row(id)).getByTestId("reconnect"));
    await user.click(await screen.findByTestId("get-code"));
    await screen.findByTestId("link-code");
    return user;
  }

  it("types the code for a sandbox account", async () => {
    const user = await codeShown(demoGreen.id);
    await user.click(screen.getByTestId("simulate-phone"));
    expect(calls("sandbox_phone")).toEqual([["sandbox_phone", { id: demoGreen.id }]]);
  });

  it("is never offered for a real account", async () => {
    table.list_accounts = [wazzup, green];
    table.link_request_code = { grouped: "ABCD-EFGH", expires_at: now + 150, phone: "+441234567890", warning: null };
    await codeShown(green.id);
    expect(screen.queryByTestId("simulate-phone")).toBeNull();
  });
});
