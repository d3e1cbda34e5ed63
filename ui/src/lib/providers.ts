// The providers a person can connect, in the order the picker shows them.
// `id` is the name the core and the command line use.

import type { ProviderKind } from "./bindings/ProviderKind";

/** The core's `ProviderKind`, as its id. */
export type ProviderId = ProviderKind;

export interface Provider {
  id: ProviderId;
  name: string;
  blurb: string;
}

export const PROVIDERS: readonly Provider[] = [
  { id: "wazzup", name: "Wazzup", blurb: "Wazzup Label partner: OAuth with PKCE" },
  { id: "payu", name: "PayU", blurb: "WhatsApp integration: authorization code and refresh" },
  { id: "green-api", name: "GREEN-API", blurb: "Link a WhatsApp number with a code" },
  { id: "wordapp", name: "Wordapp", blurb: "OAuth 2.0: code, password or client credentials" },
  { id: "oauth2", name: "Other OAuth 2.0", blurb: "Any standard OAuth 2.0 server" },
];
