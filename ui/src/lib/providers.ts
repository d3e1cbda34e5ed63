// The providers a person can connect, in the order the picker shows them:
// the core's catalogue (crates/core/src/providers/catalogue.rs), written
// into bindings/catalogue.json by `scripts/bindings` and checked against the
// core by the test command. Names, blurbs, connect forms, defaults and
// grants all come from there; nothing about a provider is typed here.

import catalogue from "./bindings/catalogue.json";
import type { ProviderInfo } from "./bindings/ProviderInfo";
import type { ProviderKind } from "./bindings/ProviderKind";

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
