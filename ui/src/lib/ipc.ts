// The window's only way to the core: Tauri commands and events. Each command
// used here is granted by name in capabilities/main.json; none returns a
// secret (the person's own typed secret goes in once, to the keyring).
import { invoke as tauriInvoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen as tauriListen, type EventCallback, type UnlistenFn } from "@tauri-apps/api/event";

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

// The types of what crosses come from the Rust types (src-tauri/bindings.rs);
// scripts/bindings writes them again after a change there.
export type { Account } from "./bindings/Account";
export type { CodeShown } from "./bindings/CodeShown";
export type { ConnectFinished } from "./bindings/ConnectFinished";
export type { ConnectStarted } from "./bindings/ConnectStarted";
export type { Details } from "./bindings/Details";
export type { Discovered } from "./bindings/Discovered";
export type { ErrorReport } from "./bindings/ErrorReport";
export type { InstanceReport } from "./bindings/InstanceReport";
export type { LinkFinished } from "./bindings/LinkFinished";
export type { AccountDraft } from "./bindings/AccountDraft";
export type { FieldProblem } from "./bindings/FieldProblem";
export type { TokenMeta } from "./bindings/TokenMeta";
export type { Via } from "./bindings/Via";
export type { ImportPlan } from "./bindings/ImportPlan";
export type { ImportAccount } from "./bindings/ImportAccount";
export type { ImportOutcome } from "./bindings/ImportOutcome";
import type { Account } from "./bindings/Account";
import type { CodeShown } from "./bindings/CodeShown";
import type { ConnectFinished } from "./bindings/ConnectFinished";
import type { ConnectStarted } from "./bindings/ConnectStarted";
import type { Details } from "./bindings/Details";
import type { Discovered } from "./bindings/Discovered";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { InstanceReport } from "./bindings/InstanceReport";
import type { LinkFinished } from "./bindings/LinkFinished";
import type { AccountDraft } from "./bindings/AccountDraft";
import type { FieldProblem } from "./bindings/FieldProblem";
import type { ImportPlan } from "./bindings/ImportPlan";
import type { ImportOutcome } from "./bindings/ImportOutcome";

// Every command below that fails rejects with an ErrorReport (Tauri's own
// refusals, such as a malformed argument, with a string): lib/errors.ts reads
// either.

export const listAccounts = () => invoke<Account[]>("list_accounts");

/** Why the keyring cannot be used (kind "storage"; its message says what to do), or null. */
export const keyringProblem = () => invoke<ErrorReport | null>("keyring_problem");

/** The draft's problems by the core's rules, the ones `latch add` checks with. */
export const checkDraft = (draft: AccountDraft) => invoke<FieldProblem[]>("check_draft", { draft });
export const addAccount = (draft: AccountDraft, store: string | null = null) =>
  invoke<Account>("add_account", { draft, store });
/** The named shared stores (OpenBao/Vault) a new account may keep its secrets in. */
export const listStores = () => invoke<string[]>("list_stores");
/** What revoking will do at the account's provider, in the core's words. */
export const revokeConsequence = (id: string) => invoke<string>("revoke_consequence", { id });
/** `confirmServer`: send the account's secrets to the server its settings name now, after a "server-changed" refusal. */
export const connectAccount = (id: string, confirmServer = false) =>
  invoke<ConnectStarted>("connect_account", { id, confirmServer });
/** The fields `editAccount` can change, with their values now: [field name, value] in the form's order. */
export const editValues = (id: string) => invoke<[string, string][]>("edit_values", { id });
/** Changes the label and settings; `confirmServer` after a "server-changed" refusal. */
export const editAccount = (id: string, changes: [string, string][], confirmServer = false) =>
  invoke<Account>("edit_account", { id, changes, confirmServer });
// Export and Import: the file `latch export` writes (settings, never a secret).
/** The file of these accounts, as text. */
export const exportText = (ids: string[]) => invoke<string>("export_text", { ids });
/** Puts the file on the clipboard; answers the notice. */
export const copyExport = (ids: string[]) => invoke<string>("copy_export", { ids });
/** Asks where (the desktop's save dialog) and saves; `null` when cancelled. */
export const saveExport = (ids: string[]) => invoke<string | null>("save_export", { ids });
/** Reads a pasted file. */
export const readImport = (text: string) => invoke<ImportPlan>("read_import", { text });
/** Asks for a file (the desktop's open dialog) and reads it; `null` when cancelled. */
export const chooseImport = () => invoke<ImportPlan | null>("choose_import");
/** Adds the plan's accounts but `skip`, with the typed `answers` (id → field → value). */
export const importAccounts = (entries: unknown[], answers: Record<string, Record<string, string>>, skip: string[]) =>
  invoke<ImportOutcome>("import_accounts", { entries, answers, skip });
export const submitCallback = (id: string, pasted: string) => invoke<void>("submit_callback", { id, pasted });
export const cancelConnect = (id: string) => invoke<void>("cancel_connect", { id });
/** Copies the waiting sign-in's address; refused once that sign-in has ended. */
export const copySignIn = (id: string) => invoke<void>("copy_sign_in", { id });
/** Opens the browser on the waiting sign-in again; answers whether one opened. */
export const openSignIn = (id: string) => invoke<boolean>("open_sign_in", { id });
export const connectWithPassword = (id: string, username: string, password: string) =>
  invoke<string>("connect_with_password", { id, username, password });
/** Reads the issuer's metadata and fills the empty fields among `values` (never the secret: it is not sent). */
export const discoverIssuer = (issuer: string, values: Record<string, string>) =>
  invoke<Discovered>("discover_issuer", { issuer, values });
/** Copies the device sign-in's user code, or (`address`) its verification address: neither is a secret. */
export const deviceCopy = (id: string, address: boolean) => invoke<void>("device_copy", { id, address });
/** Opens the verification address in the browser again; whether one opened. */
export const deviceOpen = (id: string) => invoke<boolean>("device_open", { id });

export const onAccountsChanged = (f: () => void): Promise<UnlistenFn> => listen("accounts-changed", () => f());
export const onConnectFinished = (f: (e: ConnectFinished) => void): Promise<UnlistenFn> =>
  listen<ConnectFinished>("connect-finished", (e) => f(e.payload));

export const linkState = (id: string) => invoke<InstanceReport>("link_state", { id });
export const linkLogout = (id: string) => invoke<void>("link_logout", { id });
export const linkRequestCode = (id: string, phone: string) => invoke<CodeShown>("link_request_code", { id, phone });
export const linkCopyCode = (id: string) => invoke<void>("link_copy_code", { id });
export const linkCancel = (id: string) => invoke<void>("link_cancel", { id });
export const onLinkFinished = (f: (e: LinkFinished) => void): Promise<UnlistenFn> =>
  listen<LinkFinished>("link-finished", (e) => f(e.payload));

/** Copies in Rust; the token never comes back here. Returns what to tell the person. */
export const copyToken = (id: string, header: boolean) => invoke<string>("copy_token", { id, header });
export const refreshAccount = (id: string) => invoke<string>("refresh_account", { id });
/** Asks the provider whether the account's credential works. */
export const checkAccount = (id: string) => invoke<string>("check_account", { id });
export const revokeAccount = (id: string) => invoke<string>("revoke_account", { id });
export const removeAccount = (id: string) => invoke<void>("remove_account", { id });
export const accountDetails = (id: string) => invoke<Details>("account_details", { id });
/** Starts the fake providers in the app and adds demo accounts. */
export const trySandbox = () => invoke<string>("try_sandbox");
/** Whether the window's sandbox runs now; starting and stopping it. */
export const sandboxRunning = () => invoke<boolean>("sandbox_running");
export const startSandbox = () => invoke<string>("start_sandbox");
export const stopSandbox = () => invoke<string>("stop_sandbox");
/** GREEN-API in the sandbox: types the link code shown into the fake's phone. */
export const sandboxPhone = (id: string) => invoke<void>("sandbox_phone", { id });

// After the first account list is on screen (two animation frames after it
// rendered): the start-up benchmark measures launch to this moment, and the
// window tests read which rows were painted with which expiry.
export const windowReady = (painted: Account[]) =>
  invoke<string | null>("window_ready", {
    marks: Object.fromEntries([...performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime)]), ["painted", Math.round(performance.now())]]),
    rows: painted.map((a) => ({ id: a.id, expires_at: a.token?.expires_at ?? null })),
  });
/** The benchmark's search, typed and painted in `ms`, showing `rows` rows. */
export const windowFiltered = (ms: number, rows: number) => invoke<void>("window_filtered", { ms, rows });
/** Whether Latch starts at login, hidden in the tray. */
export const startAtLogin = () => invoke<boolean>("start_at_login");
export const setStartAtLogin = (on: boolean) => invoke<boolean>("set_start_at_login", { on });
/** Quits Latch (the window and the tray): Ctrl+Q. */
export const quit = () => invoke<void>("quit");
