// The window's only way to the core: Tauri commands. Each one used here is
// granted by name in capabilities/main.json; nothing returns a secret.
import { invoke } from "@tauri-apps/api/core";
import type { ProviderId } from "./providers";

export interface TokenMeta {
  token_type: string;
  scope?: string;
  obtained_at: number;
  expires_at?: number;
  has_refresh_token: boolean;
}

export interface Account {
  id: string;
  label: string;
  settings: { provider: ProviderId };
  status: { state: string; reason?: string };
  token?: TokenMeta;
  created_at: number;
}

export function listAccounts(): Promise<Account[]> {
  return invoke<Account[]>("list_accounts");
}

/** The plain sentence saying why the keyring cannot be used, or null. */
export function keyringProblem(): Promise<string | null> {
  return invoke<string | null>("keyring_problem");
}
