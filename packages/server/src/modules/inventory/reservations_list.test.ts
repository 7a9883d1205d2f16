import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

interface Page {
  items: { id: string; sku: string; status: string; customerId?: string }[];
  nextCursor?: string;
}

describe.each(DIALECTS)("listing reservations on %s", (database) => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  let agent: string;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    server = await startTestServer({ database });
    [alice, bob, agent] = await Promise.all([
      server.token({ sub: "alice" }),
      server.token({ sub: "bob" }),
      server.token({ sub: "sam", role: "agent" }),
    ]);
    await call("PUT", "/api/inventory/items/LIST-A", { onHand: 20 });
    await call("PUT", "/api/inventory/items/LIST-B", { onHand: 20 });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  const call = (method: string, path: string, body?: unknown, token = server.apiKey) =>
    restCall(server, method, path, { body, token });

  const reserve = async (token: string, sku: string) =>
    (await call("POST", "/api/inventory/reservations", { sku, quantity: 1 }, token)).body as {
      id: string;
    };
  const ids = (page: Page) => page.items.map((r) => r.id);

  it("gives a customer their own reservations, newest first, filtered and paged", async () => {
    const a1 = await reserve(alice, "LIST-A");
    const b1 = await reserve(bob, "LIST-A");
    const a2 = await reserve(alice, "LIST-B");
    const a3 = await reserve(alice, "LIST-A");
    await call("POST", `/api/inventory/reservations/${a1.id}/release`, undefined, alice);

    const mine = (await call("GET", "/api/inventory/reservations", undefined, alice)).body as Page;
    expect(ids(mine)).toEqual([a3.id, a2.id, a1.id]);
    expect(mine.items.every((r) => r.customerId === "alice")).toBe(true);

    // what the shop page asks after a reload: the active one for this item
    const held = await call(
      "GET",
      "/api/inventory/reservations?sku=LIST-A&status=active&limit=1",
      undefined,
      alice,
    );
    expect(held.status).toBe(200);
    expect(ids(held.body)).toEqual([a3.id]);
    expect(held.body.nextCursor).toBeUndefined();

    const first = (await call("GET", "/api/inventory/reservations?limit=2", undefined, alice))
      .body as Page;
    expect(ids(first)).toEqual([a3.id, a2.id]);
    expect(first.nextCursor).toBe(a2.id);
    const rest = (
      await call(
        "GET",
        `/api/inventory/reservations?limit=2&cursor=${first.nextCursor}`,
        undefined,
        alice,
      )
    ).body as Page;
    expect(ids(rest)).toEqual([a1.id]);
    expect(rest.nextCursor).toBeUndefined();

    const theirs = (await call("GET", "/api/inventory/reservations", undefined, bob)).body as Page;
    expect(ids(theirs)).toEqual([b1.id]);
  });

  it("lets staff and the API key list anyone's, and a customer no one else's", async () => {
    const forbidden = await call(
      "GET",
      "/api/inventory/reservations?customerId=bob",
      undefined,
      alice,
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe("forbidden");
    // naming themself is allowed
    expect(
      (await call("GET", "/api/inventory/reservations?customerId=alice", undefined, alice)).status,
    ).toBe(200);

    const bobs = (await call("GET", "/api/inventory/reservations?customerId=bob", undefined, agent))
      .body as Page;
    expect(bobs.items.length).toBeGreaterThan(0);
    expect(bobs.items.every((r) => r.customerId === "bob")).toBe(true);
    const all = (await call("GET", "/api/inventory/reservations?sku=LIST-A&limit=200"))
      .body as Page;
    expect(new Set(all.items.map((r) => r.customerId))).toEqual(new Set(["alice", "bob"]));
    expect(
      (await call("GET", "/api/inventory/reservations", undefined, "not-a-token")).status,
    ).toBe(401);
  });

  it("answers the same over the socket (inventory.reservations)", async () => {
    const client = await RawClient.connect(server.wsUrl, bob);
    clients.push(client);
    const reply = await client.request({
      type: "rpc",
      method: "inventory.reservations",
      params: { status: "active" },
    });
    expect(reply.type).toBe("result");
    const page = reply.data as Page;
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((r) => r.customerId === "bob" && r.status === "active")).toBe(true);
  });

  it.each([
    ["limit 0", "limit=0"],
    ["limit 201", "limit=201"],
    ["a limit that is not a number", "limit=many"],
    ["an unknown status", "status=lost"],
    ["a bad item key", "sku=a%20b"],
    ["a 65-character cursor", `cursor=${"c".repeat(65)}`],
  ])("refuses %s with 400 bad_request", async (_name, query) => {
    const r = await call("GET", `/api/inventory/reservations?${query}`, undefined, alice);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });
});
