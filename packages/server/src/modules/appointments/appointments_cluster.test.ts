import { afterEach, describe, expect, it } from "vitest";
import { MONDAY, MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("appointments across two nodes on %s", (database) => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
  }, 120_000);

  it("50 customers through both nodes race for one slot: one 201, 49 slot_taken; then for 10 slots: 10 win", async () => {
    const a = await startTestServer({ database });
    const b = await startTestServer({ shareWith: a });
    servers.push(a, b);
    await setUpShop(a);
    const tokens = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.token({ sub: `c${i}` })),
    );
    const hold = (i: number, start: string) =>
      restCall(i % 2 ? a : b, "POST", "/api/appointments/holds", {
        token: tokens[i] as string,
        body: { service: "cut", resourceId: "chair-2", start },
      });
    const one = await Promise.all(tokens.map((_, i) => hold(i, MONDAY_10)));
    expect(one.filter((r) => r.status === 201)).toHaveLength(1);
    expect(one.filter((r) => r.body?.code === "slot_taken")).toHaveLength(49);

    // 50 racing for the next 10 half-hour slots (5 each): exactly one per slot
    const starts = Array.from({ length: 10 }, (_, k) =>
      new Date(Date.parse(MONDAY_10) + (k + 1) * 30 * 60_000).toISOString(),
    );
    const many = await Promise.all(tokens.map((_, i) => hold(i, starts[i % 10] as string)));
    const won = many.filter((r) => r.status === 201).map((r) => r.body.start as string);
    expect(won.sort()).toEqual([...starts].sort());
    const slots = await restCall(
      b,
      "GET",
      `/api/appointments/slots?service=cut&resource=chair-2&from=${MONDAY}`,
    );
    for (const s of [MONDAY_10, ...starts])
      expect(slots.body.slots.map((x: { start: string }) => x.start)).not.toContain(s);
  }, 120_000);
});
