import { describe, expect, it } from "vitest";
import { friendlyError } from "./errors.js";
import { staffWording } from "./wording.js";

describe("staffWording", () => {
  it("turns the customer's 'your' into whose it is, and leaves other labels alone", () => {
    expect(staffWording("Quote awaiting your approval")).toBe(
      "Quote awaiting the customer's approval",
    );
    expect(staffWording("Repair in progress")).toBe("Repair in progress");
  });
});

describe("friendlyError", () => {
  it("names the fields of a bad request instead of 'invalid body'", () => {
    expect(friendlyError("bad_request", [{ path: "sku", message: "Invalid" }])).toBe(
      "Please check SKU: the value is not accepted.",
    );
  });
  it("has a sentence with a next step for every transport code, and for unknown codes", () => {
    for (const code of ["conflict", "not_found", "unavailable", "network", "made_up_code"]) {
      const text = friendlyError(code);
      expect(text).toMatch(/\.$/);
      expect(text).not.toMatch(/invalid|undefined/i);
    }
  });
  it("takes the screen's own words for a missing thing", () => {
    expect(friendlyError("not_found", undefined, { notFound: "No such order." })).toBe(
      "No such order.",
    );
  });
});
