import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

const COUNTS = ["onHand", "reserved", "lowStockThreshold"];

describe("one item's unit counts are for staff only", () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    await restCall(server, "PUT", "/api/inventory/items/TEE-9", {
      body: { onHand: 40, name: "Tee", lowStockThreshold: 5 },
    });
    await restCall(server, "POST", "/api/inventory/reservations", {
      body: { sku: "TEE-9", quantity: 3, customerId: "zed" },
    });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  it("shows anonymous callers and customers what the catalog shows, over REST and rpc", async () => {
    const anonymous = await restCall(server, "GET", "/api/inventory/items/TEE-9", { token: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toMatchObject({ sku: "TEE-9", available: 37, inStock: true });
    for (const field of COUNTS) expect(anonymous.body).not.toHaveProperty(field);

    const customer = await server.token({ sub: "alice" });
    const asCustomer = await restCall(server, "GET", "/api/inventory/items/TEE-9", {
      token: customer,
    });
    for (const field of COUNTS) expect(asCustomer.body).not.toHaveProperty(field);

    const socket = await RawClient.connect(server.wsUrl, customer);
    clients.push(socket);
    const rpc = await socket.request({
      type: "rpc",
      method: "inventory.get",
      params: { sku: "TEE-9" },
    });
    expect(rpc.type).toBe("result");
    for (const field of COUNTS) expect(rpc.data).not.toHaveProperty(field);
  });

  it("shows staff and the API key the counts, and refuses bad credentials", async () => {
    const byKey = await restCall(server, "GET", "/api/inventory/items/TEE-9");
    expect(byKey.body).toMatchObject({ onHand: 40, reserved: 3, lowStockThreshold: 5 });
    const agent = await server.token({ sub: "ann", role: "agent" });
    const asAgent = await restCall(server, "GET", "/api/inventory/items/TEE-9", { token: agent });
    expect(asAgent.body).toMatchObject({ onHand: 40, reserved: 3 });
    const bad = await restCall(server, "GET", "/api/inventory/items/TEE-9", { token: "nope" });
    expect(bad.status).toBe(401);
  });
});
