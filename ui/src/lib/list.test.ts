// The list's order and groups (lib/list.ts): urgent first, by label within a
// group, and nothing in it reads the seconds left.
import { describe, expect, it } from "vitest";
import { expiring, green, like, many, now, wazzup, wordapp } from "../fixtures";
import { byLabel, grouped, matches, NO_FILTERS, type Section } from "./list";

const ids = (sections: Section[]) => sections.map((s) => [s.group, s.accounts.map((a) => a.id)]);

const broken = like(wordapp, "broken", "Zeta broken", { state: "needs-reconnect", reason: "The refresh token was refused." });
const revoked = like(wazzup, "revoked", "Beta revoked", { state: "revoked" });
const expired = like(wazzup, "expired", "Alpha expired", { state: "connected" }, expiring(-30));
const soon = like(wordapp, "soon", "Soon", { state: "connected" }, expiring(100));
const linked = like(green, "linked", "Linked", { state: "linked" });
const day = like(wazzup, "day", "A day", { state: "connected" }, expiring(86400));

describe("the list's groups", () => {
  it("go needs attention, expiring soon, valid, not connected; a needs-reconnect account without expiry is not last", () => {
    const list = [wordapp, day, linked, soon, broken, green, revoked, expired];
    expect(ids(grouped(list, now))).toEqual([
      ["needs-attention", ["expired", "revoked", "broken"]],
      ["expiring-soon", ["soon"]],
      ["valid", ["day", "linked"]],
      ["not-connected", ["whatsapp-sales", "wordapp-new"]],
    ]);
  });

  it("leave empty groups out", () => {
    expect(ids(grouped([day, wordapp], now))).toEqual([
      ["valid", ["day"]],
      ["not-connected", ["wordapp-new"]],
    ]);
    expect(grouped([], now)).toEqual([]);
  });

  it("order by label, then id, never by time left", () => {
    const later = like(wazzup, "b-later", "Same", { state: "connected" }, expiring(3600));
    const sooner = like(wazzup, "a-sooner", "Same", { state: "connected" }, expiring(86400 * 3));
    const first = like(wazzup, "z", "Alpha", { state: "connected" }, expiring(86400 * 9));
    const at = (t: number) => ids(grouped([later, sooner, first], t));
    expect(at(now)).toEqual([["valid", ["z", "a-sooner", "b-later"]]]);
    expect(at(now + 1)).toEqual(at(now));
    expect(at(now + 600)).toEqual(at(now));
    expect([later, sooner].sort(byLabel).map((a) => a.id)).toEqual(["a-sooner", "b-later"]);
  });

  it("move an account only when its status changes group", () => {
    const hour = like(wazzup, "hour", "Hour", { state: "connected" }, expiring(3600));
    expect(ids(grouped([hour, day], now + 3300 - 1))).toEqual([["valid", ["day", "hour"]]]);
    expect(ids(grouped([hour, day], now + 3300 + 1))).toEqual([
      ["expiring-soon", ["hour"]],
      ["valid", ["day"]],
    ]);
    expect(ids(grouped([hour, day], now + 3600))).toEqual([
      ["needs-attention", ["hour"]],
      ["valid", ["day"]],
    ]);
  });
});

describe("filtering the list", () => {
  it("keeps the groups chosen, then the providers chosen, both at once", () => {
    const list = [wordapp, day, linked, soon, broken, green, revoked, expired];
    expect(ids(grouped(list, now, { ...NO_FILTERS, groups: ["needs-attention", "expiring-soon"] }))).toEqual([
      ["needs-attention", ["expired", "revoked", "broken"]],
      ["expiring-soon", ["soon"]],
    ]);
    expect(ids(grouped(list, now, { ...NO_FILTERS, providers: ["green-api"] }))).toEqual([
      ["valid", ["linked"]],
      ["not-connected", ["whatsapp-sales"]],
    ]);
    expect(ids(grouped(list, now, { ...NO_FILTERS, groups: ["needs-attention"], providers: ["wordapp"] }))).toEqual([
      ["needs-attention", ["broken"]],
    ]);
    expect(grouped(list, now, { ...NO_FILTERS, groups: ["expiring-soon"], providers: ["green-api"] })).toEqual([]);
  });

  it("searches label, id and provider, in any case, ignoring spaces around", () => {
    expect(matches(wazzup, "  wazzup MAIN ")).toBe(true);
    expect(matches(wazzup, "wazzup-main")).toBe(true);
    expect(matches(green, "green-api")).toBe(true);
    expect(matches(green, "GREEN")).toBe(true);
    expect(matches(green, "wordapp")).toBe(false);
    expect(matches(green, "")).toBe(true);
  });

  it("narrows 500 accounts without reordering what stays", () => {
    const all = many(500);
    const everything = grouped(all, now);
    expect(everything.reduce((n, s) => n + s.accounts.length, 0)).toBe(500);
    const found = grouped(all, now, { ...NO_FILTERS, query: "account 04" });
    expect(found.flatMap((s) => s.accounts.map((a) => a.id))).toEqual(
      everything.flatMap((s) => s.accounts.map((a) => a.id)).filter((id) => id.startsWith("account-04")),
    );
  });
});
