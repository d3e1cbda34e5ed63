// The connect dialog's fields for each provider, their checks, and how the
// values become the account's settings. One table instead of five forms.

import type { Grant } from "./bindings/Grant";
import type { NewAccount } from "./bindings/NewAccount";
import type { PayuEnvironment } from "./bindings/PayuEnvironment";
import type { ClientAuth } from "./bindings/ClientAuth";
import type { ProviderId } from "./providers";

export const SCHEME_REDIRECT = "app.latch.desktop:/oauth/callback";

export interface Field {
  name: string;
  label: string;
  help?: string;
  kind?: "text" | "password" | "url" | "email" | "select" | "checkbox";
  options?: { value: string; label: string }[];
  initial?: string;
  /** Required unless it returns false for the current values. */
  required?: boolean | ((v: Values) => boolean);
  /** Shown only when it returns true. */
  when?: (v: Values) => boolean;
  check?: (value: string) => string | null;
}

export type Values = Record<string, string>;

const url = (value: string) => {
  try {
    new URL(value);
    return null;
  } catch {
    return "Enter a whole address, such as https://example.com/path.";
  }
};
const redirect = (value: string) =>
  value.startsWith("app.latch.desktop:") ? null : url(value);
const label: Field = { name: "label", label: "Name in Latch", help: "A name you will recognise.", required: true };
const redirectUri: Field = {
  name: "redirect_uri",
  label: "Redirect URI",
  help: `Registered with the provider. ${SCHEME_REDIRECT} comes back to this window; http://127.0.0.1:PORT/path makes Latch listen; your own website means you paste the address the browser lands on.`,
  initial: SCHEME_REDIRECT,
  required: true,
  check: redirect,
};
const grant = (choices: string[]): Field => ({
  name: "grant",
  label: "How to sign in",
  kind: "select",
  initial: choices[0],
  options: choices.map((value) => ({
    value,
    label: { authorization_code: "In the browser (authorization code)", password: "Username and password", client_credentials: "Client credentials (no user)" }[value]!,
  })),
});
const isCode = (v: Values) => (v.grant ?? "authorization_code") === "authorization_code";

export const FORMS: Record<ProviderId, Field[]> = {
  wazzup: [
    label,
    { name: "client_id", label: "client_id", help: "Issued by your Wazzup manager.", required: true },
    { name: "email", label: "Partner login e-mail", kind: "email", required: true, check: (v) => (v.includes("@") ? null : "Enter the e-mail you log in to Wazzup with.") },
    { name: "secret", label: "Partner password", kind: "password", help: "Kept in the system keyring; sent as Basic authentication to the token endpoint.", required: true },
    redirectUri,
    { name: "scopes", label: "Scopes", initial: "transport,crm", help: "Comma-separated. Wazzup asks for transport and crm." },
    { name: "base_url", label: "Server", kind: "url", initial: "https://tech.wazzup24.com", required: true, check: url },
  ],
  payu: [
    label,
    { name: "environment", label: "Environment", kind: "select", initial: "uat", options: [{ value: "uat", label: "UAT (testing)" }, { value: "production", label: "Production" }] },
    { name: "client_id", label: "client_id", required: true },
    { name: "secret", label: "client_secret", kind: "password", help: "Kept in the system keyring.", required: true },
    { ...redirectUri, help: "The redirect URL whitelisted in your PayU partner dashboard. " + redirectUri.help },
    { name: "reseller_id", label: "Reseller id", help: "Your partner id, sent to PayU's consent page." },
    { name: "accounts_url", label: "Token server (optional)", kind: "url", help: "Instead of the environment's accounts.payu.in.", check: url },
    { name: "onboarding_url", label: "Consent server (optional)", kind: "url", help: "Instead of the environment's onboarding page.", check: url },
  ],
  wordapp: [
    label,
    grant(["authorization_code", "password", "client_credentials"]),
    { name: "client_id", label: "API Key (client_id)", required: (v) => v.grant !== "password" },
    { name: "secret", label: "Secret Key (client_secret)", kind: "password", help: "Kept in the system keyring.", required: (v) => v.grant !== "password" },
    { ...redirectUri, help: "One of your application's OAuth 2.0 Redirect URLs.", when: isCode, required: isCode },
    { name: "username", label: "Username or e-mail", when: (v) => v.grant === "password", required: (v) => v.grant === "password" },
    { name: "api_version", label: "X-Api-Version (optional)" },
    { name: "base_url", label: "Server", kind: "url", initial: "https://app.wordapp.com", required: true, check: url },
  ],
  oauth2: [
    label,
    grant(["authorization_code", "client_credentials", "password"]),
    { name: "authorize_url", label: "Authorization endpoint", kind: "url", when: isCode, required: isCode, check: url },
    { name: "token_url", label: "Token endpoint", kind: "url", required: true, check: url },
    { name: "revoke_url", label: "Revocation endpoint (optional)", kind: "url", help: "RFC 7009. Without it, revoking only deletes the local copy.", check: url },
    { name: "client_id", label: "client_id", required: true },
    { name: "secret", label: "client_secret (optional)", kind: "password", help: "Kept in the system keyring." },
    { name: "client_auth", label: "Client authentication", kind: "select", initial: "basic", options: [{ value: "basic", label: "Basic header" }, { value: "body", label: "In the request body" }] },
    { ...redirectUri, when: isCode, required: isCode },
    { name: "scopes", label: "Scopes", help: "Space- or comma-separated." },
    { name: "pkce", label: "Use PKCE (recommended)", kind: "checkbox", initial: "true", when: isCode },
    { name: "username", label: "Username", when: (v) => v.grant === "password" },
  ],
  "green-api": [
    label,
    { name: "api_url", label: "apiUrl", kind: "url", help: "From the GREEN-API console, such as https://7105.api.greenapi.com.", required: true, check: url },
    { name: "id_instance", label: "idInstance", required: true, check: (v) => (/^\d{1,19}$/.test(v) ? null : "The idInstance is a number.") },
    { name: "secret", label: "apiTokenInstance", kind: "password", help: "Kept in the system keyring; never shown in an address.", required: true },
    { name: "phone", label: "WhatsApp phone number", help: "International format, such as +44 1234 567890." },
  ],
};

export function initialValues(provider: ProviderId): Values {
  return Object.fromEntries(FORMS[provider].map((f) => [f.name, f.initial ?? ""]));
}

export function visibleFields(provider: ProviderId, values: Values): Field[] {
  return FORMS[provider].filter((f) => !f.when || f.when(values));
}

/** The first problem with each visible field, by name. */
export function validate(provider: ProviderId, values: Values): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of visibleFields(provider, values)) {
    const value = (values[field.name] ?? "").trim();
    const required = typeof field.required === "function" ? field.required(values) : field.required;
    if (!value) {
      if (required && field.kind !== "checkbox") errors[field.name] = `${field.label} is needed.`;
      continue;
    }
    const problem = field.check?.(value);
    if (problem) errors[field.name] = problem;
  }
  return errors;
}

const list = (v: string | undefined) => (v ?? "").split(/[\s,]+/).filter(Boolean);
const opt = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);

/** The `add_account` draft: settings tagged by provider, plus the secret. */
export function toDraft(provider: ProviderId, v: Values): NewAccount {
  // The selects offer only the core's values for these.
  const grant = (v.grant || "authorization_code") as Grant;
  const settings = ((): NewAccount["settings"] => {
    switch (provider) {
      case "wazzup":
        return { provider, base_url: v.base_url.trim(), client_id: v.client_id.trim(), redirect_uri: v.redirect_uri.trim(), scopes: list(v.scopes), grant: "authorization_code" };
      case "payu":
        return { provider, environment: v.environment as PayuEnvironment, accounts_url: opt(v.accounts_url), onboarding_url: opt(v.onboarding_url), client_id: v.client_id.trim(), redirect_uri: v.redirect_uri.trim(), reseller_id: opt(v.reseller_id) };
      case "wordapp":
        return { provider, base_url: v.base_url.trim(), grant, client_id: opt(v.client_id), redirect_uri: grant === "authorization_code" ? opt(v.redirect_uri) : undefined, username: opt(v.username), api_version: opt(v.api_version) };
      case "oauth2":
        return { provider, authorize_url: (v.authorize_url ?? "").trim(), token_url: v.token_url.trim(), revoke_url: opt(v.revoke_url), client_id: v.client_id.trim(), client_auth: v.client_auth as ClientAuth, redirect_uri: (v.redirect_uri ?? "").trim(), scopes: list(v.scopes), pkce: v.pkce === "true", grant };
      case "green-api":
        return { provider, api_url: v.api_url.trim(), id_instance: Number(v.id_instance), phone: opt(v.phone) };
    }
  })();
  return { label: v.label.trim(), settings, secret: opt(v.secret), email: opt(v.email) };
}
