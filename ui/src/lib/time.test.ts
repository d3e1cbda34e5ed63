import { describe, expect, it } from "vitest";
import durations from "./durations.json";
import { span, timeLeft } from "./time.svelte";

describe("spans of time", () => {
  it("read as durations.json says, the file `latch` is tested against too", () => {
    for (const [seconds, text] of durations.spans as [number, string][]) {
      expect(span(seconds)).toBe(text);
    }
  });

  it("say expiry in words", () => {
    expect(timeLeft(1000 + 725, 1000)).toBe("expires in 12 m 5 s");
    expect(timeLeft(1000, 1180)).toBe("expired 3 m 0 s ago");
    expect(timeLeft(null, 0)).toBe("no expiry");
  });
});
