import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Namespaces } from "../gateway/namespaces.js";
import type { SwitchboardModule } from "../modules/types.js";
import { assertPolicies, composeModules } from "./compose.js";

const base = { migrations: {}, register() {} };
const ns = (name: string) => ({
  name,
  history: { size: 10, ttlMs: 1000 },
  presence: false,
  joinLeave: false,
  clientPublish: false,
  recoverable: true,
  signals: [],
});
const compose = (...modules: SwitchboardModule[]) => composeModules(modules, new Namespaces());

describe("putting modules together", () => {
  it("gives each declared code its status, after the transport's", () => {
    const { errors } = compose({
      ...base,
      name: "a",
      errors: { a_failed: { status: 422, description: "" } },
    });
    expect(errors.statusOf("a_failed")).toBe(422);
    expect(errors.statusOf("conflict")).toBe(409);
    expect(errors.statusOf("nobody_declared_me")).toBeUndefined();
  });

  it("refuses a code two modules declare, or one that is the transport's", () => {
    const e = { errors: { same: { status: 409, description: "" } } };
    expect(() => compose({ ...base, name: "a", ...e }, { ...base, name: "b", ...e })).toThrow(
      "module b: error code same is already declared by module a",
    );
    expect(() =>
      compose({ ...base, name: "a", errors: { conflict: { status: 409, description: "" } } }),
    ).toThrow("module a: error code conflict is already a transport code");
    expect(() =>
      compose({ ...base, name: "a", errors: { Bad: { status: 409, description: "" } } }),
    ).toThrow(/lower snake case/);
    expect(() =>
      compose({ ...base, name: "a", errors: { ok_code: { status: 200, description: "" } } }),
    ).toThrow(/400-599/);
  });

  it("refuses a namespace two modules declare, or one the core has", () => {
    expect(() =>
      compose(
        { ...base, name: "a", namespaces: [ns("x")] },
        { ...base, name: "b", namespaces: [ns("x")] },
      ),
    ).toThrow("module b: namespace x is already declared by module a");
    expect(() => compose({ ...base, name: "a", namespaces: [ns("user")] })).toThrow(
      "module a: namespace user is already declared by the core",
    );
  });

  it("merges the claims modules read; refuses one claimed twice or reserved", () => {
    const { claims } = compose(
      { ...base, name: "a", claims: z.object({ tier: z.string().optional() }) },
      { ...base, name: "b", claims: z.object({ seats: z.number().optional() }) },
    );
    expect(Object.keys(claims?.shape ?? {})).toEqual(["tier", "seats"]);
    const tier = z.object({ tier: z.string().optional() });
    expect(() =>
      compose({ ...base, name: "a", claims: tier }, { ...base, name: "b", claims: tier }),
    ).toThrow("module b: claim tier is already read by module a");
    expect(() =>
      compose({ ...base, name: "a", claims: z.object({ role: z.string().optional() }) }),
    ).toThrow("module a: claim role is already a reserved claim");
  });

  it("refuses a bad or repeated module name", () => {
    expect(() => compose({ ...base, name: "Orders" })).toThrow(/lower-case/);
    expect(() => compose({ ...base, name: "a" }, { ...base, name: "a" })).toThrow(
      "module a is registered twice",
    );
  });

  it("denies everything on a namespace until its module gives it a policy, and says so", async () => {
    const namespaces = new Namespaces();
    composeModules([{ ...base, name: "a", namespaces: [ns("late")] }], namespaces);
    const alice = { user: "alice", role: "customer" as const };
    await expect(namespaces.authorize(alice, "late:1", "subscribe")).rejects.toThrow(/not allowed/);
    expect(() => assertPolicies(namespaces)).toThrow(
      "namespace late: declared without a policy, and register() set none",
    );
    namespaces.setPolicy("late", () => true);
    assertPolicies(namespaces);
    await namespaces.authorize(alice, "late:1", "subscribe");
    expect(() => namespaces.setPolicy("never-declared", () => true)).toThrow(
      /not declared: list it in your module's namespaces/,
    );
  });
});
