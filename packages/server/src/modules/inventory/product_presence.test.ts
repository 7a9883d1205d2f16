import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

let server: TestServer;
const clients: RawClient[] = [];
afterEach(async () => {
  closeAll(clients);
  await server?.close();
});

async function connect(sub: string, role: "customer" | "agent" = "customer") {
  const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role, name: sub }));
  clients.push(c);
  return c;
}

describe("product viewers", () => {
  it("gives customers the count only; staff see who", async () => {
    server = await startTestServer();
    const alice = await connect("alice");
    const bob = await connect("bob");
    await alice.subscribe("product:lamp");
    await bob.subscribe("product:lamp");
    const asCustomer = await alice.request({ type: "presence", channel: "product:lamp" });
    expect(asCustomer).toMatchObject({ type: "presence", count: 2, members: [] });
    const staff = await connect("sam", "agent");
    const asStaff = await staff.request({ type: "presence", channel: "product:lamp" });
    expect(asStaff.count).toBe(2);
    expect((asStaff.members as { user: string }[]).map((m) => m.user).sort()).toEqual([
      "alice",
      "bob",
    ]);
  });
});
