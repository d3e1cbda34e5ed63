import type { Account } from "./ipc";

/** What revoking will do at the provider, said before it is done. */
export function revokeConsequence(account: Account): string {
  const s = account.settings;
  switch (s.provider) {
    case "wazzup":
      return "Wazzup offers no way to revoke a token: it stays valid at Wazzup until it expires. Latch deletes its copy.";
    case "green-api":
      return "Latch logs the GREEN-API instance out, which unlinks its WhatsApp number, then deletes the apiTokenInstance from this computer.";
    case "oauth2":
      return s.revoke_url
        ? "Latch asks the server to revoke the refresh and access tokens, then deletes them from this computer."
        : "This server has no revocation endpoint set: its tokens stay valid there until they expire. Latch deletes its copy.";
    default: {
      const name = s.provider === "payu" ? "PayU" : "Wordapp";
      return `Latch asks ${name} to revoke the tokens, so they stop working everywhere, then deletes them from this computer.`;
    }
  }
}
