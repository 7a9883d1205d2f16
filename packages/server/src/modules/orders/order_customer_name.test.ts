import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONDAY_10 } from "../../test-support/appointments.js";
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

  it("names orders nobody typed a name for with the customer's own, from their token", async () => {
    // an order made before the customer was ever heard of: no name yet
    const early = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-50", customerName: "Staff Typo" },
    });
    expect(early.body.customerName).toBe("Staff Typo");
    const before = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-51" },
    });
    expect(before.body.customerName).toBeUndefined();
    // a name staff typed names the customer's next orders, until the customer's own is heard
    const typed = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-50" },
    });
    expect(typed.body.customerName).toBe("Staff Typo");

    // the customers use the app: any request of theirs carries their name
    for (const [sub, name] of [
      ["cus-50", "Bea Lind"],
      ["cus-51", "  Cai Wen  "],
    ] as const) {
      const token = await server.token({ sub, name });
      expect((await restCall(server, "GET", "/api/orders", { token })).status).toBe(200);
    }
    // the order that had no name took the customer's; a typed name stays on its own order
    expect((await restCall(server, "GET", `/api/orders/${before.body.id}`)).body.customerName).toBe(
      "Cai Wen",
    );
    expect((await restCall(server, "GET", `/api/orders/${early.body.id}`)).body.customerName).toBe(
      "Staff Typo",
    );
    // the customer's own name wins over the typed one for later orders
    const later = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-50" },
    });
    expect(later.body.customerName).toBe("Bea Lind");
    // a staff token's name is never taken as a customer's
    const agentNamed = await server.token({ sub: "cus-52", role: "agent", name: "Not A Customer" });
    await restCall(server, "GET", "/api/orders", { token: agentNamed });
    const none = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "store-order", customerId: "cus-52" },
    });
    expect(none.body.customerName).toBeUndefined();
  });

  it("a drop-off the customer books becomes an order with their name on the board", async () => {
    const put = (path: string, body: unknown) =>
      restCall(server, "PUT", `/api/appointments${path}`, { body });
    await put("/services/drop", {
      name: "Repair drop-off",
      durationMinutes: 15,
      purpose: "drop-off",
    });
    await put("/resources/counter", {
      name: "Repair counter",
      timeZone: "Europe/Berlin",
      services: ["drop"],
      hours: { mon: [["09:00", "18:00"]] },
    });
    const board = await RawClient.connect(server.wsUrl, staff);
    await board.subscribe("staff:orders");
    const token = await server.token({ sub: "cus-60", name: "Dee Okafor" });
    const hold = await restCall(server, "POST", "/api/appointments/holds", {
      token,
      body: { service: "drop", resourceId: "counter", start: MONDAY_10 },
    });
    expect(hold.status).toBe(201);
    const confirmed = await restCall(
      server,
      "POST",
      `/api/appointments/holds/${hold.body.id}/confirm`,
      { token },
    );
    expect(confirmed.status).toBe(200);
    const live = await board.next(
      (f) =>
        f.type === "message" &&
        f.channel === "staff:orders" &&
        (f.data as { order: { id: string } }).order.id === hold.body.id,
      30_000,
    );
    expect((live.data as { order: { customerName?: string } }).order.customerName).toBe(
      "Dee Okafor",
    );
    const list = await restCall(server, "GET", "/api/orders?customerId=cus-60", { token: staff });
    expect(list.body.items[0]).toMatchObject({ id: hold.body.id, customerName: "Dee Okafor" });
    board.close();
  });
});
