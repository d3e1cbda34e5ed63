import { beforeEach, describe, expect, it } from "vitest";
import type { ErrorReport } from "./bindings/ErrorReport";
import { failed, failureOf, keyring } from "./errors.svelte";
import { clock } from "./time.svelte";

const report = (more: Partial<ErrorReport>): ErrorReport => ({
  kind: "provider-refused",
  code: null,
  message: "PayU refused the request (invalid_client: the client is unknown); check the client_id.",
  rate_limited: false,
  retry_after_secs: null,
  ...more,
});

describe("what a failure means for the window", () => {
  beforeEach(() => {
    keyring.problem = null;
  });

  it("branches on the core's kind", () => {
    expect(failureOf(report({ kind: "needs-reconnect" }), 0).kind).toBe("needs-reconnect");
    expect(failureOf(report({ kind: "storage" }), 0).kind).toBe("keyring");
    for (const kind of ["network", "timeout", "provider-refused", "invalid-answer", "invalid-input", "callback-rejected", "not-found"] as const) {
      expect(failureOf(report({ kind }), 0)).toEqual({ kind: "other", message: report({}).message });
    }
  });

  it("a 429 is told apart by rate_limited and says when, if the provider said", () => {
    expect(failureOf(report({ code: "HTTP 429", rate_limited: true, retry_after_secs: 7 }), 1000)).toMatchObject({ kind: "rate-limited", retryAt: 1007 });
    expect(failureOf(report({ code: "HTTP 429", rate_limited: true }), 1000)).toMatchObject({ kind: "rate-limited", retryAt: null });
  });

  it("reads Tauri's own refusals, which are strings, and thrown errors", () => {
    expect(failureOf("command refresh_account not allowed", 0)).toEqual({ kind: "other", message: "command refresh_account not allowed" });
    expect(failureOf(new Error("boom"), 0)).toEqual({ kind: "other", message: "boom" });
    expect(failureOf({ kind: 3 }, 0).kind).toBe("other");
  });

  it("a keyring failure raises the one keyring notice; others leave it alone", () => {
    failed(report({ kind: "network" }));
    expect(keyring.problem).toBeNull();
    failed(report({ kind: "storage", message: "The keyring is locked; unlock it." }));
    expect(keyring.problem).toBe("The keyring is locked; unlock it.");
  });
});

describe("a 429's wait", () => {
  it("counts from the window's clock even when its ticker is behind", () => {
    clock.now = Math.floor(Date.now() / 1000) - 1; // the ticker has not caught up yet
    const failure = failed(report({ rate_limited: true, retry_after_secs: 30, code: "HTTP 429" }));
    expect(failure.kind).toBe("rate-limited");
    if (failure.kind !== "rate-limited") return;
    expect(failure.retryAt! - clock.now).toBe(30);
  });
});
