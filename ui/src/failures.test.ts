// Every command's failure reaches the person the same way (lib/errors.svelte.ts):
// a needs-reconnect error offers Reconnect, which starts the account's connect
// flow, and a keyring error raises the keyring notice — whichever command
// failed. The IPC is mocked at Tauri's `invoke`; everything above it is real.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { tick } from "svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ErrorReport } from "./lib/bindings/ErrorReport";

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
import { green, inRow, now, row, waiting, wazzup, wordapp } from "./fixtures";


/** What each command answers when it does not fail. */
function answers(over: Record<string, unknown>): Record<string, unknown> {
  return {
    list_accounts: [wazzup, wordapp, green],
    keyring_problem: null,
    check_draft: [],
    revoke_consequence: "Latch asks Wazzup to revoke the tokens.",
    add_account: { ...wazzup, id: "wazzup-new", label: "Wazzup new", status: { state: "not-connected" }, token: undefined },
    connect_account: waiting("https://tech.wazzup24.com/v2/oauth/authorize?x"),
    copy_token: "Token copied.",
    refresh_account: "Refreshed.",
    revoke_account: "Revoked.",
    remove_account: null,
    account_details: { scope: null, token_type: "Bearer", obtained_at: now, expires_at: now + 60, has_refresh_token: true, extras: {}, claims: null, last_used: null, last_used_problem: null },
    link_state: { authorized: false, ready: true, message: "Ready to link." },
    link_request_code: { grouped: "ABCD-EFGH", expires_at: now + 150, phone: "+441234567890" },
    ...over,
  };
}

/** The IPC: `failing` rejects once with `error`, then answers like the rest. */
function backend(failing: string, error: unknown, over: Record<string, unknown> = {}) {
  const table = answers(over);
  let failed = false;
  invoke.mockImplementation(async (command: string) => {
    if (command === failing && !failed) {
      failed = true;
      throw error;
    }
    return table[command] ?? null;
  });
}

const report = (kind: ErrorReport["kind"], message: string, more: Partial<ErrorReport> = {}): ErrorReport => ({
  kind,
  code: null,
  message,
  rate_limited: false,
  retry_after_secs: null,
  ...more,
});
const NEEDS_RECONNECT = report(
  "needs-reconnect",
  "Wazzup no longer accepts this account's authorization (the refresh token expired); connect the account again.",
  { code: "OAUTH_REFRESH_TOKEN_INVALID" },
);
const KEYRING = report("storage", "The system keyring is locked; unlock it (gnome-keyring or KeePassXC) and try again.");

type User = ReturnType<typeof userEvent.setup>;
async function openLinkPanel(user: User) {
  await user.click(await inRow(green.id, "reconnect"));
}

/**
 * Each command the window calls and shows the failure of, how a person gets
 * there, and the command that starts that account's flow again (null where
 * no account is known yet).
 */
const commands: {
  command: string;
  over?: Record<string, unknown>;
  drive: (user: User) => Promise<void>;
  flow: { command: string; id: string } | null;
}[] = [
  { command: "list_accounts", drive: async () => {}, flow: null },
  {
    command: "try_sandbox",
    over: { list_accounts: [] },
    drive: async (user) => user.click(await screen.findByTestId("try-sandbox")),
    flow: null,
  },
  {
    command: "add_account",
    drive: async (user) => {
      await user.click(await screen.findByTestId("connect-another"));
      // In the picker: the list behind it has a Wazzup filter of its own.
      await user.click(within(screen.getByTestId("provider-picker")).getByRole("button", { name: /^Wazzup/ }));
      await user.type(screen.getByLabelText("Name in Latch"), "Wazzup new");
      await user.type(screen.getByLabelText("client_id"), "c");
      await user.type(screen.getByLabelText("Partner login e-mail"), "p@example.com");
      await user.type(screen.getByLabelText("Partner password"), "pw");
      await user.click(screen.getByTestId("connect-submit"));
    },
    flow: null,
  },
  { command: "copy_token", drive: async (user) => user.click(await inRow(wazzup.id, "copy-token")), flow: { command: "connect_account", id: wazzup.id } },
  { command: "refresh_account", drive: async (user) => user.click(await inRow(wazzup.id, "refresh")), flow: { command: "connect_account", id: wazzup.id } },
  { command: "account_details", drive: async (user) => user.click(await inRow(wazzup.id, "details")), flow: { command: "connect_account", id: wazzup.id } },
  {
    command: "revoke_account",
    drive: async (user) => {
      await user.click(await inRow(wazzup.id, "revoke"));
      await user.click(within(row(wazzup.id)).getByTestId("confirm-revoke-yes"));
    },
    flow: { command: "connect_account", id: wazzup.id },
  },
  {
    command: "remove_account",
    drive: async (user) => (await user.click(await inRow(wordapp.id, "remove")), user.click(await inRow(wordapp.id, "confirm-remove-yes"))),
    flow: { command: "connect_account", id: wordapp.id } },
  { command: "connect_account", drive: async (user) => user.click(await inRow(wordapp.id, "reconnect")), flow: { command: "connect_account", id: wordapp.id } },
  {
    command: "submit_callback",
    drive: async (user) => {
      await user.click(await inRow(wordapp.id, "reconnect"));
      await user.type(await screen.findByTestId("paste-field"), "the-code");
      await user.click(screen.getByRole("button", { name: "Use this address" }));
    },
    flow: { command: "connect_account", id: wordapp.id },
  },
  {
    command: "connect_with_password",
    over: { connect_account: { state: "needs-password" } },
    drive: async (user) => {
      await user.click(await inRow(wordapp.id, "reconnect"));
      await user.type(await screen.findByTestId("password"), "pw");
      await user.click(screen.getByRole("button", { name: "Sign in" }));
    },
    flow: { command: "connect_account", id: wordapp.id },
  },
  { command: "link_state", drive: openLinkPanel, flow: { command: "link_state", id: green.id } },
  {
    command: "link_logout",
    over: { link_state: { authorized: true, ready: false, message: "The number is linked." } },
    drive: async (user) => {
      await openLinkPanel(user);
      await user.click(await screen.findByTestId("link-logout"));
    },
    flow: { command: "link_state", id: green.id },
  },
  {
    command: "link_request_code",
    drive: async (user) => {
      await openLinkPanel(user);
      await user.click(await screen.findByTestId("get-code"));
    },
    flow: { command: "link_state", id: green.id },
  },
  {
    command: "link_copy_code",
    drive: async (user) => {
      await openLinkPanel(user);
      await user.click(await screen.findByTestId("get-code"));
      await screen.findByTestId("link-code");
      await user.click(screen.getByRole("button", { name: "Copy code" }));
    },
    flow: { command: "link_state", id: green.id },
  },
];

const callsOf = (command: string, id: string) => invoke.mock.calls.filter(([c, args]) => c === command && (args as { id?: string })?.id === id).length;

beforeEach(() => {
  keyring.problem = null;
  invoke.mockReset();
  handlers.clear();
});

describe("a needs-reconnect error from any command offers Reconnect", () => {
  it.each(commands.filter((c) => c.flow))("$command", async ({ command, over, drive, flow }) => {
    backend(command, NEEDS_RECONNECT, over);
    const user = userEvent.setup();
    render(App);
    await drive(user);
    const reconnect = await screen.findByTestId("failure-reconnect");
    const shown = reconnect.closest("[role=alert]")!;
    expect(shown).toHaveTextContent("no longer accepts this account's authorization");
    expect(shown).toHaveAttribute("data-kind", "needs-reconnect");
    expect(invoke).toHaveBeenCalledWith(command, expect.anything());

    const before = callsOf(flow!.command, flow!.id);
    await user.click(reconnect);
    await waitFor(() => expect(callsOf(flow!.command, flow!.id)).toBe(before + 1));
    expect(screen.queryByTestId("failure-reconnect")).not.toBeInTheDocument();
  });

  it.each(commands.filter((c) => !c.flow))("$command, with no account yet, shows the sentence alone", async ({ command, over, drive }) => {
    backend(command, NEEDS_RECONNECT, over);
    render(App);
    await drive(userEvent.setup());
    expect(await screen.findByText(/no longer accepts this account's authorization/)).toBeInTheDocument();
    expect(screen.queryByTestId("failure-reconnect")).not.toBeInTheDocument();
  });
});

describe("a keyring error from any command shows the keyring notice", () => {
  it.each(commands)("$command", async ({ command, over, drive }) => {
    backend(command, KEYRING, over);
    render(App);
    await drive(userEvent.setup());
    expect(await screen.findByTestId("keyring-problem")).toHaveTextContent(KEYRING.message);
    expect(invoke).toHaveBeenCalledWith(command, ...(command === "list_accounts" || command === "try_sandbox" ? [] : [expect.anything()]));
    expect(screen.queryByTestId("failure-reconnect")).not.toBeInTheDocument();
  });
});

describe("other failures", () => {
  it("a 429 says when to try again", async () => {
    const limited = report("provider-refused", "Wazzup turned the request away because too many requests were sent (HTTP 429); try again in 30 seconds.", {
      code: "HTTP 429",
      rate_limited: true,
      retry_after_secs: 30,
    });
    backend("refresh_account", limited);
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wazzup.id, "refresh"));
    const notice = await screen.findByTestId("notice");
    expect(notice).toHaveAttribute("data-kind", "rate-limited");
    expect(notice).toHaveTextContent("HTTP 429");
    expect(within(notice).getByTestId("retry-after")).toHaveTextContent(/You can try again in (29|30) s\./);
    expect(screen.queryByTestId("keyring-problem")).not.toBeInTheDocument();
  });

  it("anything else shows its sentence, and Tauri's own string refusals too", async () => {
    backend("copy_token", report("network", "Could not reach Wazzup (connection refused); check the internet connection."));
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wazzup.id, "copy-token"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Could not reach Wazzup (connection refused)");
    expect(screen.getByTestId("notice")).toHaveAttribute("data-kind", "other");

    backend("refresh_account", "invalid args `id` for command `refresh_account`");
    await user.click(within(row(wazzup.id)).getByTestId("refresh"));
    await waitFor(() => expect(screen.getByTestId("notice")).toHaveTextContent("invalid args `id`"));
    expect(screen.queryByTestId("failure-reconnect")).not.toBeInTheDocument();
  });

  it("a sign-in that fails in the browser with needs-reconnect offers Reconnect in the dialog", async () => {
    backend("none", null);
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    await screen.findByTestId("waiting");
    handlers.get("connect-finished")?.({ payload: { account: wordapp.id, ok: false, message: NEEDS_RECONNECT.message, error: NEEDS_RECONNECT } });
    const problem = await screen.findByTestId("connect-problem");
    expect(problem).toHaveAttribute("data-kind", "needs-reconnect");
    const before = callsOf("connect_account", wordapp.id);
    await user.click(within(problem).getByTestId("failure-reconnect"));
    await waitFor(() => expect(callsOf("connect_account", wordapp.id)).toBe(before + 1));
  });

  it("a changed server is connected to only after the person says so", async () => {
    const changed = report(
      "server-changed",
      "This account's server changed from https://app.wordapp.com to https://evil.example, so Latch sent nothing; if you made that change, connect the account again to confirm the new server.",
    );
    backend("connect_account", changed);
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    const problem = await screen.findByTestId("connect-problem");
    expect(problem).toHaveAttribute("data-kind", "server-changed");
    expect(problem).toHaveTextContent("changed from https://app.wordapp.com to https://evil.example");
    expect(within(problem).queryByTestId("failure-reconnect")).not.toBeInTheDocument();
    expect(invoke).toHaveBeenCalledWith("connect_account", { id: wordapp.id, confirmServer: false });
    await user.click(within(problem).getByTestId("failure-confirm-server"));
    await waitFor(() => expect(invoke).toHaveBeenCalledWith("connect_account", { id: wordapp.id, confirmServer: true }));
    await screen.findByTestId("waiting");
  });

  it("Edit shows the settings the core lists, sends only what changed, and asks before a new server", async () => {
    const changed = report(
      "server-changed",
      "This account's server changed from https://app.wordapp.com to https://staging.wordapp.example, so Latch sent nothing; if you made that change, connect the account again to confirm the new server.",
    );
    backend("edit_account", changed, {
      edit_values: [
        ["label", "Wordapp new"],
        ["grant", "authorization_code"],
        ["client_id", "c"],
        ["base_url", "https://app.wordapp.com"],
      ],
      edit_account: { ...wordapp, label: "Wordapp staging" },
    });
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "edit"));
    const server = await screen.findByLabelText("Server");
    expect(server).toHaveValue("https://app.wordapp.com");
    // The secret is never read back: its field starts empty and, left so, is not sent.
    expect(screen.getByTestId("edit-secret")).toHaveValue("");
    await user.clear(server);
    await user.type(server, "https://staging.wordapp.example");
    await user.click(screen.getByTestId("edit-save"));
    const problem = await screen.findByTestId("edit-problem");
    expect(problem).toHaveAttribute("data-kind", "server-changed");
    const sent = [["base_url", "https://staging.wordapp.example"]];
    expect(invoke).toHaveBeenCalledWith("edit_account", { id: wordapp.id, changes: sent, confirmServer: false });
    await user.click(within(problem).getByTestId("failure-confirm-server"));
    await waitFor(() => expect(invoke).toHaveBeenCalledWith("edit_account", { id: wordapp.id, changes: sent, confirmServer: true }));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Saved Wordapp staging.");
    expect(screen.queryByTestId("edit-dialog")).not.toBeInTheDocument();

    // A new secret typed in is sent as the `secret` change, alone.
    await user.click(await inRow(wordapp.id, "edit"));
    await user.type(await screen.findByTestId("edit-secret"), "rotated");
    await user.click(screen.getByTestId("edit-save"));
    await waitFor(() =>
      expect(invoke).toHaveBeenCalledWith("edit_account", { id: wordapp.id, changes: [["secret", "rotated"]], confirmServer: false }),
    );
  });

  it("a refusal that names no account or another one is not the open dialog's (issue 15 item 10)", async () => {
    backend("none", null);
    const user = userEvent.setup();
    render(App);
    await user.click(await inRow(wordapp.id, "reconnect"));
    await screen.findByTestId("waiting");
    const forged = { ok: false, message: "Latch rejected the sign-in callback (forged).", error: null };
    handlers.get("connect-finished")?.({ payload: { ...forged, account: "" } });
    handlers.get("connect-finished")?.({ payload: { ...forged, account: wazzup.id } });
    await tick();
    expect(screen.queryByTestId("connect-problem")).not.toBeInTheDocument();
    handlers.get("connect-finished")?.({ payload: { ...forged, account: wordapp.id, message: "Its own news." } });
    expect(await screen.findByTestId("connect-problem")).toHaveTextContent("Its own news.");
  });
});
