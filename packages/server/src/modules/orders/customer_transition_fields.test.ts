import { afterEach, describe, expect, it } from "vitest";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

let server: TestServer;
afterEach(async () => {
  await server?.close();
});

describe("a customer's transition", () => {
  it("moves the status only: it cannot overwrite eta or location", async () => {
    server = await startTestServer();
    const staff = await server.token({ sub: "sam", role: "agent" });
    const alice = await server.token({ sub: "alice" });
    const eta = new Date(Date.now() + 3600_000).toISOString();
    const made = await restCall(server, "POST", "/api/orders", {
      token: staff,
      body: { lifecycle: "repair-booking", customerId: "alice", title: "Fix", eta },
    });
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    const move = (token: string, body: Record<string, unknown>) =>
      restCall(server, "POST", `/api/orders/${id}/transitions`, { token, body });

    for (const extra of [
      { eta: null },
      { eta: "2000-01-01T00:00:00.000Z" },
      { location: "nowhere" },
    ]) {
      const r = await move(alice, { to: "cancelled", ...extra });
      expect(r.status).toBe(403);
    }
    const order = await restCall(server, "GET", `/api/orders/${id}`, { token: alice });
    expect(order.body).toMatchObject({ status: made.body.status, eta });
    expect(order.body.location).toBeUndefined();

    const cancelled = await move(alice, { to: "cancelled" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", eta });
  });
});
