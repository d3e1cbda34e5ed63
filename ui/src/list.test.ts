// Issue 19, item 4: a list for 5 and for 500. Groups by what needs a person,
// an order that holds still while the clock ticks, filters, a search the
// keyboard reaches (but not from behind a dialog), a compact density kept
// for next time. The list is rendered alone, on a clock the tests set: no
// App here starts the window's ticker.
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: async () => () => {} }));

import AccountList from "./components/AccountList.svelte";
import type { Account } from "./lib/ipc";
import { clock } from "./lib/time.svelte";
import { expiring, green, like, many, now, row, wazzup, wordapp } from "./fixtures";

const broken = like(wordapp, "broken", "Wordapp broken", { state: "needs-reconnect", reason: "The refresh token was refused." });
const soon = like(wordapp, "soon", "Wordapp soon", { state: "connected" }, expiring(100));

function show(accounts: Account[]) {
  return render(AccountList, { accounts, onnotice: vi.fn(), onfailure: vi.fn(), onreconnect: vi.fn(), onedit: vi.fn() });
}
/** The ids of the rows on screen, in page order (within `testid`'s element, if given). */
const rows = (testid?: string) =>
  [...(testid ? screen.getByTestId(testid) : document).querySelectorAll<HTMLElement>("[data-account]")].map((e) => e.dataset.account);
const sectionsShown = () => [...document.querySelectorAll<HTMLElement>("section[data-testid^=group-]")].map((s) => s.dataset.testid);

beforeEach(() => {
  clock.now = now;
  localStorage.clear();
  invoke.mockReset();
});
afterEach(() => document.querySelectorAll("[data-test-field]").forEach((e) => e.remove()));

describe("the list's groups", () => {
  it("go needs attention, expiring soon, valid, not connected, each headed with its count; needs reconnect without expiry first", () => {
    show([wordapp, wazzup, green, soon, broken]);
    expect(sectionsShown()).toEqual(["group-needs-attention", "group-expiring-soon", "group-valid", "group-not-connected"]);
    expect(rows()).toEqual(["broken", "soon", "wazzup-main", "whatsapp-sales", "wordapp-new"]);
    expect(within(row("broken")).getByTestId("status")).toHaveTextContent("Needs reconnect");
    expect(screen.getByRole("heading", { name: "Needs attention · 1" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Not connected · 2" })).toBeInTheDocument();
    expect(screen.getByTestId("group-count-not-connected")).toHaveTextContent("2");
    expect(screen.getByTestId("group-count-valid")).toHaveTextContent("1");
  });

  it("leave out a group with no account", () => {
    show([wazzup, wordapp]);
    expect(sectionsShown()).toEqual(["group-valid", "group-not-connected"]);
    expect(screen.queryByTestId("group-needs-attention")).not.toBeInTheDocument();
  });

  it("hold still while the clock ticks: by label, the same rows; one moves only when its group changes", () => {
    const alpha = like(wazzup, "alpha", "Alpha", { state: "connected" }, expiring(86400));
    const beta = like(wazzup, "beta", "Beta", { state: "connected" }, expiring(400));
    const gamma = like(wazzup, "gamma", "Gamma", { state: "connected" }, expiring(3600));
    show([gamma, beta, alpha]);
    expect(rows("group-valid")).toEqual(["alpha", "beta", "gamma"]);
    const before = ["alpha", "beta", "gamma"].map(row);
    for (let t = 1; t <= 99; t += 7) {
      clock.now = now + t;
      flushSync();
      expect(["alpha", "beta", "gamma"].map(row), `at +${t} s`).toEqual(before);
      before.forEach((e, i) => expect(e, `row ${i} at +${t} s is the same element`).toBe(row(["alpha", "beta", "gamma"][i])));
    }
    expect(within(row("beta")).getByTestId("expiry")).toHaveTextContent("expires in 5 m 1 s");

    clock.now = now + 101;
    flushSync();
    expect(rows("group-expiring-soon")).toEqual(["beta"]);
    expect(rows("group-valid")).toEqual(["alpha", "gamma"]);
    expect(row("alpha")).toBe(before[0]);
    expect(row("gamma")).toBe(before[2]);
  });
});

describe("the list's filters", () => {
  it("keep the status groups and the providers pressed, each a toggle with its count", async () => {
    const user = userEvent.setup();
    show([wordapp, wazzup, green, soon, broken]);
    const attention = screen.getByTestId("filter-status-needs-attention");
    const wordapps = screen.getByTestId("filter-provider-wordapp");
    expect(attention).toHaveTextContent("Needs attention 1");
    expect(wordapps).toHaveTextContent("Wordapp 3");
    expect(screen.getByTestId("filter-status-valid")).toHaveTextContent("Valid 1");
    // Only providers that have accounts.
    expect(screen.queryByTestId("filter-provider-payu")).not.toBeInTheDocument();
    expect(screen.queryByTestId("filter-provider-oauth2")).not.toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Show only the accounts at" })).toContainElement(wordapps);

    expect(attention).toHaveAttribute("aria-pressed", "false");
    await user.click(attention);
    expect(attention).toHaveAttribute("aria-pressed", "true");
    expect(rows()).toEqual(["broken"]);

    await user.click(screen.getByTestId("filter-status-not-connected"));
    expect(rows()).toEqual(["broken", "whatsapp-sales", "wordapp-new"]);
    await user.click(wordapps);
    expect(rows()).toEqual(["broken", "wordapp-new"]);

    await user.click(attention);
    await user.click(screen.getByTestId("filter-status-not-connected"));
    expect(attention).toHaveAttribute("aria-pressed", "false");
    expect(rows()).toEqual(["broken", "soon", "wordapp-new"]);
  });

  it("show a status filter only when there is more than one group to choose from", () => {
    show([wazzup, like(wazzup, "second", "Second", { state: "connected" }, expiring(7200))]);
    expect(screen.queryByTestId("filter-status-valid")).not.toBeInTheDocument();
    expect(screen.queryByTestId("filter-provider-wazzup")).not.toBeInTheDocument();
    expect(screen.getByTestId("search")).toBeInTheDocument();
  });
});

describe("the search", () => {
  it("is there with a single account, and narrows by label, id or provider", async () => {
    const user = userEvent.setup();
    const { rerender } = show([wazzup]);
    expect(screen.getByRole("searchbox", { name: "Search accounts" })).toBe(screen.getByTestId("search"));
    await rerender({ accounts: [wazzup, wordapp, green] });
    await user.type(screen.getByTestId("search"), "GREEN-api");
    expect(rows()).toEqual(["whatsapp-sales"]);
    await user.clear(screen.getByTestId("search"));
    await user.type(screen.getByTestId("search"), "wordapp-new");
    expect(rows()).toEqual(["wordapp-new"]);
  });

  it("is focused by Ctrl+F, Ctrl+K and /, and Escape in it clears it", async () => {
    const user = userEvent.setup();
    show([wazzup, wordapp, green]);
    const search = screen.getByTestId("search");
    for (const keys of ["{Control>}f{/Control}", "{Control>}k{/Control}", "/"]) {
      within(row(wazzup.id)).getByTestId("edit").focus();
      await user.keyboard(keys);
      expect(search, keys).toHaveFocus();
      expect(search).toHaveValue("");
    }
    await user.keyboard("sales");
    expect(rows()).toEqual(["whatsapp-sales"]);
    await user.keyboard("{Escape}");
    expect(search).toHaveValue("");
    expect(rows()).toHaveLength(3);
  });

  it("leaves a / typed in a text field to that field", async () => {
    const user = userEvent.setup();
    show([wazzup, wordapp, green]);
    const search = screen.getByTestId("search");
    await user.click(search);
    await user.keyboard("a/b");
    expect(search).toHaveValue("a/b");

    const note = Object.assign(document.createElement("input"), { type: "text" });
    note.setAttribute("data-test-field", "");
    document.body.append(note);
    await user.click(note);
    await user.keyboard("1/2");
    expect(note).toHaveFocus();
    expect(note).toHaveValue("1/2");
  });

  it("is not reached from behind an open dialog, whose Escape still closes it", async () => {
    const user = userEvent.setup();
    show([wazzup, wordapp, green]);
    const remove = within(row(wordapp.id)).getByTestId("remove");
    await user.click(remove);
    const keep = screen.getByTestId("confirm-remove-no");
    expect(document.querySelector("dialog[open]")).not.toBeNull();
    expect(keep).toHaveFocus();
    for (const keys of ["{Control>}f{/Control}", "{Control>}k{/Control}", "/"]) {
      await user.keyboard(keys);
      expect(keep, keys).toHaveFocus();
    }
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("confirm-remove")).not.toBeInTheDocument();
    expect(remove).toHaveFocus();
    await user.keyboard("/");
    expect(screen.getByTestId("search")).toHaveFocus();
  });
});

describe("when nothing matches", () => {
  it("says the search found nothing and offers Clear search", async () => {
    const user = userEvent.setup();
    show([wazzup, wordapp, green]);
    await user.type(screen.getByTestId("search"), "zzz");
    expect(rows()).toEqual([]);
    expect(screen.getByTestId("no-match")).toHaveTextContent("No account matches “zzz”.");
    expect(screen.queryByTestId("clear-filters")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("clear-search"));
    expect(screen.getByTestId("search")).toHaveValue("");
    expect(screen.getByTestId("search")).toHaveFocus();
    expect(rows()).toHaveLength(3);
    expect(screen.queryByTestId("no-match")).not.toBeInTheDocument();
  });

  it("names the filters when they, not the search, left everything out, and offers Clear filters", async () => {
    const user = userEvent.setup();
    show([wazzup, wordapp, green]);
    await user.click(screen.getByTestId("filter-status-not-connected"));
    await user.click(screen.getByTestId("filter-provider-wazzup"));
    expect(rows()).toEqual([]);
    expect(screen.getByTestId("no-match")).toHaveTextContent("No account matches the filters Not connected, Wazzup.");

    await user.click(screen.getByTestId("filter-provider-wazzup"));
    await user.type(screen.getByTestId("search"), "main");
    expect(screen.getByTestId("no-match")).toHaveTextContent("No account matches “main” with the filters Not connected.");
    expect(screen.queryByTestId("clear-search")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("clear-filters"));
    expect(rows()).toEqual(["wazzup-main"]);
    expect(screen.getByTestId("filter-status-not-connected")).toHaveAttribute("aria-pressed", "false");
  });
});

describe("the compact density", () => {
  it("makes the list compact and is remembered for the next list", async () => {
    const user = userEvent.setup();
    const first = show([wazzup, wordapp]);
    const density = screen.getByTestId("density");
    expect(density).not.toBeChecked();
    expect(screen.getByTestId("accounts")).not.toHaveClass("compact");
    await user.click(density);
    expect(screen.getByTestId("accounts")).toHaveClass("compact");
    expect(localStorage.getItem("latch.density")).toBe("compact");

    first.unmount();
    show([wazzup, wordapp]);
    expect(screen.getByTestId("density")).toBeChecked();
    expect(screen.getByTestId("accounts")).toHaveClass("compact");
    await user.click(screen.getByTestId("density"));
    expect(localStorage.getItem("latch.density")).toBe("comfortable");
    expect(screen.getByTestId("accounts")).not.toHaveClass("compact");
  });
});

describe("a list of 500", () => {
  it("shows every account in its group, and the filters and the search narrow it", async () => {
    const user = userEvent.setup();
    show(many(500));
    // A screenful first, every row once the window has painted.
    expect(document.querySelectorAll("[data-account]").length).toBeLessThan(500);
    await waitFor(() => expect(document.querySelectorAll("[data-account]")).toHaveLength(500));
    // One in seven of each kind (fixtures.ts `many`): 72 of the first three, 71 of the others.
    expect(screen.getByTestId("group-count-needs-attention")).toHaveTextContent("214");
    expect(screen.getByTestId("group-count-expiring-soon")).toHaveTextContent("72");
    expect(screen.getByTestId("group-count-valid")).toHaveTextContent("143");
    expect(screen.getByTestId("group-count-not-connected")).toHaveTextContent("71");
    expect(rows("group-valid").slice(0, 3)).toEqual(["account-001", "account-006", "account-008"]);

    await user.click(screen.getByTestId("filter-provider-green-api"));
    expect(rows()).toHaveLength(71);
    expect(sectionsShown()).toEqual(["group-valid"]);
    await user.type(screen.getByTestId("search"), "account 00");
    expect(rows()).toEqual(["account-006"]);
  });
});
