// The window's only way to the core: Tauri commands and events. Each command
// used here is granted by name in capabilities/main.json; none returns a
// secret (the person's own typed secret goes in once, to the keyring).
import { invoke as tauriInvoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen as tauriListen, type EventCallback, type UnlistenFn } from "@tauri-apps/api/event";
import type { ProviderId } from "./providers";

// The secrets audit (tests/hardening.rs) reads every call, answer and event
// that crosses here: a test build of the window, started with LATCH_IPC_LOG,
// defines this array before the page loads. Release builds never do.
type Crossing = { call?: string; args?: unknown; answer?: unknown; error?: unknown; event?: string; payload?: unknown };
const crossings = (globalThis as { __LATCH_IPC_LOG__?: Crossing[] }).__LATCH_IPC_LOG__;

function invoke<T>(call: string, ...rest: [InvokeArgs?]): Promise<T> {
  const answer = tauriInvoke<T>(call, ...rest);
  const args = rest[0];
  if (!crossings) return answer;
  return answer.then(
    (value) => (crossings.push({ call, args, answer: value }), value),
    (error) => {
      crossings.push({ call, args, error });
      throw error;
    },
  );
}

function listen<T>(event: string, handler: EventCallback<T>): Promise<UnlistenFn> {
  return tauriListen<T>(event, (e) => {
    crossings?.push({ event, payload: e.payload });
    handler(e);
  });
}

export interface TokenMeta {
  token_type: string;
  scope?: string;
  obtained_at: number;
  expires_at?: number;
  has_refresh_token: boolean;
  extras?: Record<string, string>;
}

export interface Account {
  id: string;
  label: string;
  settings: { provider: ProviderId } & Record<string, unknown>;
  status: { state: "not-connected" | "connected" | "needs-reconnect" | "revoked" | "linked"; reason?: string };
  token?: TokenMeta;
  created_at: number;
}

export type ConnectStarted =
  | { state: "waiting"; url: string; via: "deep-link" | "loopback" | "paste" }
  | { state: "connected"; message: string }
  | { state: "needs-password" };

export interface ConnectFinished {
  account: string;
  ok: boolean;
  message: string;
}

export const listAccounts = () => invoke<Account[]>("list_accounts");

/** The plain sentence saying why the keyring cannot be used, or null. */
export const keyringProblem = () => invoke<string | null>("keyring_problem");

export const addAccount = (draft: unknown) => invoke<Account>("add_account", { draft });
export const connectAccount = (id: string) => invoke<ConnectStarted>("connect_account", { id });
export const submitCallback = (id: string, pasted: string) => invoke<void>("submit_callback", { id, pasted });
export const cancelConnect = (id: string) => invoke<void>("cancel_connect", { id });
export const connectWithPassword = (id: string, username: string, password: string) =>
  invoke<string>("connect_with_password", { id, username, password });

export const onAccountsChanged = (f: () => void): Promise<UnlistenFn> => listen("accounts-changed", () => f());
export const onConnectFinished = (f: (e: ConnectFinished) => void): Promise<UnlistenFn> =>
  listen<ConnectFinished>("connect-finished", (e) => f(e.payload));

export interface InstanceReport {
  authorized: boolean;
  ready: boolean;
  message: string;
}
export interface CodeShown {
  grouped: string;
  expires_at: number;
  phone: string;
}
export interface LinkFinished {
  account: string;
  linked: boolean;
  message: string;
}
export const linkState = (id: string) => invoke<InstanceReport>("link_state", { id });
export const linkLogout = (id: string) => invoke<void>("link_logout", { id });
export const linkRequestCode = (id: string, phone: string) => invoke<CodeShown>("link_request_code", { id, phone });
export const linkCopyCode = (id: string) => invoke<void>("link_copy_code", { id });
export const linkCancel = (id: string) => invoke<void>("link_cancel", { id });
export const onLinkFinished = (f: (e: LinkFinished) => void): Promise<UnlistenFn> =>
  listen<LinkFinished>("link-finished", (e) => f(e.payload));

export interface Details {
  scope?: string;
  token_type?: string;
  obtained_at?: number;
  expires_at?: number;
  has_refresh_token: boolean;
  extras: Record<string, string>;
  claims?: Record<string, unknown>;
}
/** Copies in Rust; the token never comes back here. Returns what to tell the person. */
export const copyToken = (id: string, header: boolean) => invoke<string>("copy_token", { id, header });
export const refreshAccount = (id: string) => invoke<string>("refresh_account", { id });
export const revokeAccount = (id: string) => invoke<string>("revoke_account", { id });
export const removeAccount = (id: string) => invoke<void>("remove_account", { id });
export const accountDetails = (id: string) => invoke<Details>("account_details", { id });
/** Starts the fake providers in the app and adds demo accounts. */
export const trySandbox = () => invoke<string>("try_sandbox");

// After the first account list is on screen (two animation frames after it
// rendered): the start-up benchmark measures launch to this moment.
export const windowReady = () =>
  invoke<void>("window_ready", { marks: Object.fromEntries([...performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)]), ["painted", Math.round(performance.now())]]) });
