// The providers a person can connect, in the order the picker shows them:
// the core's catalogue (crates/core/src/providers/catalogue.rs), written
// into bindings/catalogue.json by `scripts/bindings` and checked against the
// core by the test command. Names, blurbs, connect forms, defaults and
// grants all come from there; nothing about a provider is typed here.

import catalogue from "./bindings/catalogue.json";
import type { ProviderInfo } from "./bindings/ProviderInfo";
import type { ProviderKind } from "./bindings/ProviderKind";
import type { Account } from "./bindings/Account";

/** The core's `ProviderKind`, as its id. */
export type ProviderId = ProviderKind;

export type Provider = ProviderInfo;

export const PROVIDERS: readonly Provider[] = catalogue as Provider[];

/** The catalogue's entry of a provider. */
export function providerOf(id: ProviderId): Provider {
  const found = PROVIDERS.find((p) => p.kind === id);
  if (!found) throw new Error(`the catalogue has no provider ${id}`);
  return found;
}

/** Whether the provider links a number instead of running OAuth grants (GREEN-API). */
export const linksInstead = (provider: Provider) => provider.grants.length === 0;

/**
 * The name an account's provider goes by in the window: its catalogue name,
 * but an "Other OAuth 2.0" account is named by its server's host, as every
 * message of the core names it.
 */
export function providerName(account: Account): string {
  const provider = providerOf(account.settings.provider);
  if (account.settings.provider !== "oauth2") return provider.name;
  try {
    return new URL(account.settings.token_url).hostname || provider.name;
  } catch {
    return provider.name;
  }
}
