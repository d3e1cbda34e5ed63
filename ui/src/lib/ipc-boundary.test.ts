/// <reference types="vite/client" />
// The secrets audit (tests/hardening.rs) reads every call, answer and event
// that ipc.ts records; that covers all of the page's traffic with Rust only
// if no other module talks to Tauri. This holds the line: no UI module but
// ipc.ts imports @tauri-apps/* (the API or any plugin's JS) or reaches for
// Tauri's globals.
import { describe, expect, it } from "vitest";

const sources = import.meta.glob(["/src/**/*.ts", "/src/**/*.js", "/src/**/*.svelte"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const IPC = "/src/lib/ipc.ts";

/** What in `text` reaches Tauri other than through ipc.ts. */
function tauriUses(text: string): string[] {
  const patterns = [
    /\bfrom\s*["']@tauri-apps\/[^"']*["']/g, // import … from "@tauri-apps/…", export … from
    /\bimport\s*["']@tauri-apps\/[^"']*["']/g, // import "@tauri-apps/…" (side effect)
    /\bimport\s*\(\s*["'`]@tauri-apps\/[^"'`]*["'`]\s*\)/g, // import("@tauri-apps/…")
    /\brequire\s*\(\s*["'`]@tauri-apps\/[^"'`]*["'`]\s*\)/g,
    /__TAURI(_INTERNALS)?__/g, // window.__TAURI__ / __TAURI_INTERNALS__
  ];
  return patterns.flatMap((p) => text.match(p) ?? []);
}

describe("the IPC boundary", () => {
  it("finds the UI's modules, ipc.ts among them", () => {
    const files = Object.keys(sources);
    expect(files).toContain(IPC);
    expect(files).toContain("/src/App.svelte");
    expect(files.filter((f) => f.endsWith(".svelte")).length).toBeGreaterThan(3);
  });

  it("recognises every way of reaching Tauri", () => {
    expect(tauriUses(sources[IPC]).length).toBeGreaterThan(0);
    for (const line of [
      'import { invoke } from "@tauri-apps/api/core";',
      "import {writeText} from '@tauri-apps/plugin-clipboard-manager'",
      'export { listen } from "@tauri-apps/api/event";',
      'import "@tauri-apps/plugin-opener";',
      'const core = await import("@tauri-apps/api/core");',
      "window.__TAURI_INTERNALS__.invoke('copy_token')",
    ]) {
      expect(tauriUses(line), line).not.toEqual([]);
    }
    expect(tauriUses('import { copyToken } from "../lib/ipc";')).toEqual([]);
  });

  it("lets no module but ipc.ts reach Tauri", () => {
    const offenders = Object.entries(sources)
      .filter(([file]) => file !== IPC && !file.endsWith("ipc-boundary.test.ts"))
      .map(([file, text]) => [file, tauriUses(text)] as const)
      .filter(([, uses]) => uses.length > 0);
    expect(offenders).toEqual([]);
  });
});
