import { describe, expect, it } from "vitest";
import { NOTICE_STAYS, noticeLasts, noticeText } from "./notices";

describe("a notice as time passes", () => {
  const copied = "Token copied; the clipboard is cleared in 45 s.";

  it("counts a copy down to the clear, then says the clipboard was cleared", () => {
    expect(noticeText(copied, 1000, 1000)).toBe(copied);
    expect(noticeText(copied, 1000, 1001)).toBe("Token copied; the clipboard is cleared in 44 s.");
    expect(noticeText(copied, 1000, 1044)).toBe("Token copied; the clipboard is cleared in 1 s.");
    expect(noticeText(copied, 1000, 1045)).toBe("Clipboard cleared.");
    expect(noticeText(copied, 1000, 1100)).toBe("Clipboard cleared.");
  });

  it("keeps what follows the countdown (a hand-out log that could not be written)", () => {
    const text = "Token copied; the clipboard is cleared in 3 s. It is not in the hand-out log: disk full";
    expect(noticeText(text, 0, 1)).toBe("Token copied; the clipboard is cleared in 2 s. It is not in the hand-out log: disk full");
    expect(noticeText(text, 0, 3)).toBe("Clipboard cleared. It is not in the hand-out log: disk full");
  });

  it("leaves any other notice as it is, and lets it go after a few seconds", () => {
    expect(noticeText("Refreshed Wazzup main.", 0, 30)).toBe("Refreshed Wazzup main.");
    expect(noticeLasts("Refreshed Wazzup main.")).toBe(NOTICE_STAYS);
    expect(noticeLasts(copied)).toBe(45 + NOTICE_STAYS);
  });
});
