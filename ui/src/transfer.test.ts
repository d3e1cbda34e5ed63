// Issue 19, item 8 in the window: Export (the accounts' settings as the
// file `latch export` writes; demo accounts start unticked) and Import (a
// file read and checked by the core; one field per thing each new account
// needs; nothing added until all have it). The IPC is mocked at Tauri's
// `invoke`; the file's checks are the core's (crates/core/src/transfer.rs)
// and the whole round trip runs in the real window (tests/transfer.rs).
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

import App from "./App.svelte";
import { keyring } from "./lib/errors.svelte";
import { like, wazzup, wordapp } from "./fixtures";

const demo = { ...like(wordapp, "demo-wordapp", "Demo Wordapp", { state: "not-connected" }), sandbox: true };
const robot = { id: "robot", label: "Robot", provider: "Wordapp", exists: false, asks: [{ name: "secret", label: "Client secret", kind: "secret", help: null, optional: false }] };
const mainAgain = { id: "wazzup-main", label: "Wazzup main", provider: "Wazzup", exists: true, asks: [] };
const plan = { source: "The pasted text", accounts: [robot, mainAgain], problems: [], entries: [{ id: "robot" }, { id: "wazzup-main" }] };

let table: Record<string, unknown>;
beforeEach(() => {
  keyring.problem = null;
  invoke.mockReset();
  table = {
    list_accounts: [wazzup, wordapp, demo],
    keyring_problem: null,
    export_text: '{"kind": "latch-accounts"}\n',
    copy_export: "Copied the settings of 2 accounts to the clipboard.",
    read_import: plan,
  };
  invoke.mockImplementation(async (command: string) => table[command] ?? null);
});

const argsOf = (command: string) => invoke.mock.calls.filter(([c]) => c === command).map(([, args]) => args);

/** Opens Import in a new window and reads a pasted file (`table.read_import`'s plan). */
async function pasteAFile(user: ReturnType<typeof userEvent.setup>) {
  render(App);
  await user.click(await screen.findByTestId("open-import"));
  await user.type(await screen.findByTestId("import-paste"), "x");
  await user.click(screen.getByTestId("import-read"));
}

describe("Export", () => {
  it("leaves the sandbox's demo accounts out until ticked, and copies what is ticked", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId("open-export"));
    const dialog = await screen.findByTestId("export-dialog");
    const ticked = () =>
      within(dialog)
        .getAllByTestId("export-choose")
        .filter((box) => (box as HTMLInputElement).checked)
        .map((box) => box.dataset.id);
    expect(ticked()).toEqual(["wazzup-main", "wordapp-new"]);
    await waitFor(() => expect((within(dialog).getByTestId("export-text") as HTMLTextAreaElement).value).toContain("latch-accounts"));
    await user.click(within(dialog).getByTestId("export-copy"));
    expect(argsOf("copy_export")).toEqual([{ ids: ["wazzup-main", "wordapp-new"] }]);
    // The dialog closed with the core's words.
    expect((await screen.findByTestId("notice")).textContent).toContain("Copied the settings of 2 accounts");
    expect(screen.queryByTestId("export-dialog")).toBeNull();
  });

  it("cannot copy or save a file of no account", async () => {
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId("open-export"));
    const dialog = await screen.findByTestId("export-dialog");
    for (const box of within(dialog).getAllByTestId("export-choose")) if ((box as HTMLInputElement).checked) await user.click(box);
    expect(within(dialog).getByTestId("export-copy")).toHaveProperty("disabled", true);
    expect(within(dialog).getByTestId("export-save")).toHaveProperty("disabled", true);
  });
});

describe("Import", () => {
  it("names every problem of a file and imports nothing from it", async () => {
    table.read_import = { ...plan, accounts: [], problems: ["bad: `secret` is a secret and has no place in this file", "odd: there is no provider `nope`"] };
    const user = userEvent.setup();
    await pasteAFile(user);
    const problems = await screen.findByTestId("import-file-problems");
    expect(problems.textContent).toContain("there is no provider `nope`");
    expect(problems.textContent).toContain("has no place in this file");
    expect(screen.queryByTestId("import-submit")).toBeNull();
    await user.click(screen.getByTestId("import-again"));
    expect(await screen.findByTestId("import-paste")).toBeTruthy();
  });

  it("asks each new account for its secret, shows what is missing beside it, and adds nothing until all have it", async () => {
    const user = userEvent.setup();
    await pasteAFile(user);
    const dialog = await screen.findByTestId("import-dialog");
    await within(dialog).findByText("Import from The pasted text");
    const accounts = within(dialog).getAllByTestId("import-account");
    expect(within(accounts[1]).getByTestId("import-exists").textContent).toContain("left as it is");
    expect(within(accounts[0]).getAllByTestId("import-field").map((f) => f.dataset.field)).toEqual(["secret"]);
    expect(within(dialog).getByTestId("import-submit").textContent).toBe("Import 1 account");

    table.import_accounts = { state: "problems", by_account: [["robot", [{ field: "secret", missing: true, message: "Client secret is required." }]]] };
    await user.click(within(dialog).getByTestId("import-submit"));
    const problem = await within(dialog).findByTestId("import-field-problem");
    expect(problem.textContent).toContain("Client secret is required.");
    const secret = within(accounts[0]).getByTestId("import-field");
    await waitFor(() => expect(document.activeElement).toBe(secret));

    table.import_accounts = { state: "imported", ids: ["robot"], kept: 1, message: "Imported 1 account; 1 was in Latch already." };
    await user.type(secret, "s3cret");
    await user.click(within(dialog).getByTestId("import-submit"));
    const sent = argsOf("import_accounts").at(-1) as { answers: Record<string, Record<string, string>>; skip: string[] };
    expect(sent.answers.robot).toEqual({ secret: "s3cret" });
    expect(sent.skip).toEqual([]);
    expect((await screen.findByTestId("notice")).textContent).toContain("Imported 1 account");
    expect(screen.queryByTestId("import-dialog")).toBeNull();
  });

  it("leaves out an account the person unticks, and then asks nothing of it", async () => {
    const user = userEvent.setup();
    await pasteAFile(user);
    const dialog = await screen.findByTestId("import-dialog");
    const first = (await within(dialog).findAllByTestId("import-account"))[0];
    await user.click(within(first).getByTestId("import-keep"));
    expect(within(first).queryByTestId("import-field")).toBeNull();
    expect(within(dialog).getByTestId("import-submit")).toHaveProperty("disabled", true);
  });
});
