import { describe, expect, it } from "vitest";
import { FORMS, SCHEME_REDIRECT, initialValues, toDraft, validate, visibleFields } from "./forms";
import { statusOf, bySoonestExpiry } from "./status";
import { timeLeft } from "./time.svelte";
import type { Account } from "./ipc";

describe("connect forms", () => {
  it("start Wazzup with the documented scopes and Latch's own redirect", () => {
    const v = initialValues("wazzup");
    expect(v.scopes).toBe("transport,crm");
    expect(v.redirect_uri).toBe(SCHEME_REDIRECT);
    expect(v.base_url).toBe("https://tech.wazzup24.com");
  });

  it("name every missing required field, and check addresses and e-mails", () => {
    const v = { ...initialValues("wazzup"), label: "W", email: "not-an-email", base_url: "nonsense" };
    const errors = validate("wazzup", v);
    expect(Object.keys(errors).sort()).toEqual(["base_url", "client_id", "email", "secret"]);
    expect(errors.base_url).toContain("whole address");
  });

  it("ask Wordapp's password grant for a username, not a client or redirect", () => {
    const v = { ...initialValues("wordapp"), label: "W", grant: "password" };
    const names = visibleFields("wordapp", v).map((f) => f.name);
    expect(names).toContain("username");
    expect(names).not.toContain("redirect_uri");
    expect(Object.keys(validate("wordapp", v))).toEqual(["username"]);
  });

  it("build the settings the core expects, tagged by provider", () => {
    const v = { ...initialValues("payu"), label: " PayU UAT ", client_id: "c", secret: "s", reseller_id: "" };
    const draft = toDraft("payu", v);
    expect(draft).toMatchObject({ label: "PayU UAT", secret: "s", settings: { provider: "payu", environment: "uat", client_id: "c", redirect_uri: SCHEME_REDIRECT } });
    expect(draft.settings).not.toHaveProperty("reseller_id", "");
    const oauth = toDraft("oauth2", { ...initialValues("oauth2"), label: "O", token_url: "https://t", client_id: "c", scopes: "read, write" });
    expect(oauth.settings).toMatchObject({ scopes: ["read", "write"], pkce: true, client_auth: "basic" });
    const green = toDraft("green-api", { ...initialValues("green-api"), label: "G", api_url: "https://a", id_instance: "1101000001", secret: "t" });
    expect(green.settings).toMatchObject({ provider: "green-api", id_instance: 1101000001 });
  });

  it("has a form for every provider in the picker", () => {
    expect(Object.keys(FORMS).sort()).toEqual(["green-api", "oauth2", "payu", "wazzup", "wordapp"]);
  });
});

const account = (over: Partial<Account>): Account => ({
  id: "a",
  label: "A",
  settings: { provider: "wazzup", base_url: "https://tech.wazzup24.com", client_id: "c", redirect_uri: "app.latch.desktop:/oauth/callback", scopes: [], grant: "authorization_code" },
  status: { state: "connected" },
  created_at: 0,
  ...over,
});

describe("status and time left", () => {
  const token = (obtained: number, expires: number) => ({ token_type: "Bearer", obtained_at: obtained, expires_at: expires, has_refresh_token: true });

  it("tells valid, expiring soon and expired apart", () => {
    expect(statusOf(account({ token: token(0, 86400) }), 100)).toBe("valid");
    expect(statusOf(account({ token: token(0, 86400) }), 86400 - 200)).toBe("expiring-soon");
    expect(statusOf(account({ token: token(0, 86400) }), 86401)).toBe("expired");
    expect(statusOf(account({ status: { state: "needs-reconnect", reason: "r" } }), 0)).toBe("needs-reconnect");
  });

  it("reads like a person writes it", () => {
    expect(timeLeft(100 + 4320, 100)).toBe("expires in 1 h 12 m");
    expect(timeLeft(45, 0)).toBe("expires in 45 s");
    expect(timeLeft(0, 180)).toBe("expired 3 m 0 s ago");
    expect(timeLeft(undefined, 0)).toBe("no expiry");
  });

  it("sorts the soonest expiry first, never-expiring last", () => {
    const list = [account({ id: "n", label: "N" }), account({ id: "l", token: token(0, 900) }), account({ id: "s", token: token(0, 100) })];
    expect(list.sort(bySoonestExpiry).map((a) => a.id)).toEqual(["s", "l", "n"]);
  });
});
