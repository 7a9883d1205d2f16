import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

/** The board names customers: an order keeps the name it was created with, lists and live. */
describe.each(DIALECTS)("order customer names on %s", (database) => {
  let server: TestServer;
  let staff: string;

  beforeAll(async () => {
    server = await startTestServer({ database });
    staff = await server.token({ sub: "sam", role: "agent" });
  });
  afterAll(async () => {
    await server.close();
  });

  it("keeps the customer's name and shows it in lists and on the board channel", async () => {
    const board = await RawClient.connect(server.wsUrl, staff);
    await board.subscribe("staff:orders");
    const made = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-41", customerName: "  Alice Moss " },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ customerId: "cus-41", customerName: "Alice Moss" });
    const live = await board.next((f) => f.type === "message" && f.channel === "staff:orders");
    expect((live.data as { order: { customerName?: string } }).order.customerName).toBe(
      "Alice Moss",
    );
    const list = await restCall(server, "GET", "/api/orders?customerId=cus-41", { token: staff });
    expect(list.body.items[0].customerName).toBe("Alice Moss");
    // without a name the order still works; the board falls back to the id
    const anonymous = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-42" },
    });
    expect(anonymous.body.customerName).toBeUndefined();
    board.close();
  });

  it("refuses a bad name with a code", async () => {
    for (const customerName of ["", "   ", "x".repeat(101), 7]) {
      const r = await restCall(server, "POST", "/api/orders", {
        token: staff,
        body: { lifecycle: "store-order", customerId: "cus-43", customerName },
      });
      expect(r.status, JSON.stringify(customerName)).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
  });
});
