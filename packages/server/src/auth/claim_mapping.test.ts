import { describe, expect, it } from "vitest";
import { mapClaims } from "./claim-mapping.js";

const ours = { roleClaim: "role", nameClaim: "name" } as const;

describe("mapClaims with our own claim names (the connect path's shortcut)", () => {
  it("passes a payload already in our shape through unchanged", () => {
    const payload = { sub: "a", role: "agent", name: "Ann", exp: 9, iat: 1 };
    expect(mapClaims(payload, ours)).toEqual({
      sub: "a",
      role: "agent",
      name: "Ann",
      exp: 9,
      iat: 1,
    });
  });

  it("still drops an empty or non-text name and cuts a long one to 255 characters", () => {
    expect(mapClaims({ sub: "a", name: "" }, ours)).toEqual({ sub: "a" });
    expect(mapClaims({ sub: "a", name: 42 } as never, ours)).toEqual({ sub: "a" });
    const long = mapClaims({ sub: "a", name: "x".repeat(300) }, ours);
    expect(long.name).toBe("x".repeat(255));
  });

  it("still refuses a role the map does not list when a map is set", () => {
    expect(() =>
      mapClaims({ sub: "a", role: "anon" }, { ...ours, roleMap: { staff: "agent" } }),
    ).toThrow(/not mapped/);
  });

  it("still reads nested claim paths when the names differ", () => {
    const mapped = mapClaims(
      { sub: "a", app: { role: "admin" }, nick: "Bo" },
      { roleClaim: "app.role", nameClaim: "nick" },
    );
    expect(mapped).toMatchObject({ sub: "a", role: "admin", name: "Bo" });
  });
});
