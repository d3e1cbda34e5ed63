import { describe, expect, it } from "vitest";
import { byField, discovers, forChecking, initialValues, isRequired, personsValues, toDraft, visibleFields } from "./forms";
import { PROVIDERS, linksInstead, providerOf } from "./providers";
import { statusOf } from "./status";
import { timeLeft } from "./time.svelte";
import type { Account } from "./ipc";

// The form's default; the core turns `{account}` into the new account's id.
const SCHEME_REDIRECT = "app.latch.desktop:/oauth/callback/{account}";

describe("connect forms, from the core's catalogue", () => {
  const wazzup = providerOf("wazzup");

  it("start Wazzup with the documented scopes and Latch's own redirect", () => {
    const v = initialValues(wazzup);
    expect(v.scopes).toBe("transport,crm");
    expect(v.redirect_uri).toBe(SCHEME_REDIRECT);
    expect(v.base_url).toBe("https://tech.wazzup24.com");
    expect(v.grant).toBe("authorization_code");
  });

  it("ask Wordapp's password grant for a username, not a client or redirect", () => {
    const wordapp = providerOf("wordapp");
    const v = { ...initialValues(wordapp), label: "W", grant: "password" };
    const names = visibleFields(wordapp, v).map((f) => f.name);
    expect(names).toContain("username");
    expect(names).not.toContain("redirect_uri");
    const secret = wordapp.fields.find((f) => f.name === "secret")!;
    expect(isRequired(wordapp, v, secret)).toBe(false);
    expect(isRequired(wordapp, { ...v, grant: "client_credentials" }, secret)).toBe(true);
  });

  it("send the values by field name, and the secret apart from them", () => {
    const payu = providerOf("payu");
    const v = { ...initialValues(payu), label: "PayU UAT", client_id: "c", secret: "s", reseller_id: "" };
    const draft = toDraft(payu, v);
    expect(draft).toMatchObject({ provider: "payu", secret: "s", values: { label: "PayU UAT", environment: "uat", client_id: "c", redirect_uri: SCHEME_REDIRECT } });
    expect(draft.values).not.toHaveProperty("secret");
    expect(toDraft(payu, { ...v, secret: "" })).not.toHaveProperty("secret");
  });

  it("tell the core's check that a secret was typed, never what it is", () => {
    const payu = providerOf("payu");
    const draft = toDraft(payu, { ...initialValues(payu), label: "P", secret: "hunter2" });
    expect(forChecking(draft).secret).toBe("(typed)");
    expect(JSON.stringify(forChecking(draft))).not.toContain("hunter2");
    expect(forChecking(toDraft(payu, initialValues(payu)))).not.toHaveProperty("secret");
  });

  it("leave out the fields the chosen grant does not show", () => {
    const oauth = providerOf("oauth2");
    const draft = toDraft(oauth, { ...initialValues(oauth), label: "O", grant: "client_credentials", token_url: "https://t", client_id: "c" });
    expect(draft.values).not.toHaveProperty("authorize_url");
    expect(draft.values).not.toHaveProperty("pkce");
    expect(draft.values.client_auth).toBe("basic");
  });

  it("link GREEN-API instead of running a grant, and offer every provider the core has", () => {
    expect(linksInstead(providerOf("green-api"))).toBe(true);
    expect(linksInstead(wazzup)).toBe(false);
    expect(PROVIDERS.map((p) => p.kind)).toEqual(["wazzup", "payu", "green-api", "wordapp", "oauth2"]);
    for (const p of PROVIDERS) expect(p.fields[0].name).toBe("label");
  });

  it("show the core's first problem of each field", () => {
    expect(byField([{ field: "email", missing: false, message: "a" }, { field: "email", missing: true, message: "b" }])).toEqual({ email: "a" });
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
});

describe("discovery in the connect form", () => {
  const oauth2 = providerOf("oauth2");

  it("is offered where the form has an issuer: Other OAuth 2.0 only", () => {
    expect(PROVIDERS.filter(discovers).map((p) => p.kind)).toEqual(["oauth2"]);
  });

  it("fills around what the person set: defaults, blanks and the secret are left out", () => {
    const v: Record<string, string> = {
      ...initialValues(oauth2),
      label: "Acme",
      grant: "device_code",
      client_id: "cli",
      secret: "s3cret",
      token_url: "  ",
      scopes: "openid",
    };
    expect(v.client_auth).toBe("basic");
    expect(v.pkce).toBe("true");
    expect(personsValues(oauth2, v)).toEqual({ label: "Acme", grant: "device_code", client_id: "cli", scopes: "openid" });
    // A default changed by the person is theirs.
    expect(personsValues(oauth2, { ...v, client_auth: "body", pkce: "false" })).toMatchObject({ client_auth: "body", pkce: "false" });
  });
});
