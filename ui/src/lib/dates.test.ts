import { describe, expect, it } from "vitest";
import { readable, readableClaims, when } from "./dates";

const exp = 1796256000; // 2026-12-03 00:00:00 UTC
const local = new Date(exp * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });

describe("dates in Details", () => {
  it("writes a JWT's exp, iat and nbf as the local date and time, never as Unix seconds", () => {
    const shown = readableClaims({ sub: "robot", exp, iat: exp - 3600, nbf: exp - 3600, scope: "read" });
    expect(shown.exp).toBe(local);
    expect(shown.sub).toBe("robot");
    expect(shown.scope).toBe("read");
    expect(JSON.stringify(shown)).not.toMatch(/\d{10}/);
  });

  it("reads a provider's created_at, as a number or as text, in seconds or milliseconds", () => {
    expect(readable("created_at", exp)).toBe(local);
    expect(readable("created_at", String(exp))).toBe(local);
    expect(readable("createdAt", exp * 1000)).toBe(local);
  });

  it("leaves values that are not dates alone: ids, counts, text", () => {
    expect(readable("user_uuid", "1234567890")).toBe("1234567890");
    expect(readable("merchantId", 145227)).toBe(145227);
    expect(readable("exp", "soon")).toBe("soon");
    expect(readableClaims({ aud: ["a", "b"] }).aud).toEqual(["a", "b"]);
  });

  it("reads dates nested in a claim", () => {
    expect((readableClaims({ ext: { iat: exp } }).ext as Record<string, unknown>).iat).toBe(local);
  });

  it("says — for a date it does not have", () => {
    expect(when(null)).toBe("—");
    expect(when(undefined)).toBe("—");
  });
});
