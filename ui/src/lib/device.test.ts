import { describe, expect, it } from "vitest";
import { countdown, groupUserCode } from "./device";

describe("the user code on screen", () => {
  it.each([
    ["WDJB-MJHT", "WDJB-MJHT"], // grouped by the server: as it is
    ["  WDJB-MJHT \n", "WDJB-MJHT"],
    ["123 456 789", "123 456 789"],
    ["WDJBMJHT", "WDJB MJHT"], // unbroken: fours
    ["ABCDEFGHIJ", "ABCD EFGH IJ"],
    ["123456", "123456"], // short: whole
    ["1234567", "1234 567"],
    ["", ""],
  ])("%j reads %j", (code, shown) => {
    expect(groupUserCode(code)).toBe(shown);
  });
});

describe("the time left on a code", () => {
  it.each([
    [900, "15:00"],
    [845, "14:05"],
    [61, "1:01"],
    [60, "1:00"],
    [9, "0:09"],
    [0, "0:00"],
    [-5, "0:00"], // past its expiry
    [9.7, "0:09"],
  ])("%d s reads %s", (left, shown) => {
    expect(countdown(left)).toBe(shown);
  });
});
