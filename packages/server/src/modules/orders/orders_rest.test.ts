import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe.each(DIALECTS)("orders REST on %s", (database) => {
  let server: TestServer;
  let staff: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    server = await startTestServer({ database });
    staff = await server.token({ sub: "sam", role: "agent" });
    alice = await server.token({ sub: "alice" });
    bob = await server.token({ sub: "bob" });
  });
  afterAll(async () => {
    await server.close();
  });

  const call = (
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => restCall(server, method, path, { token, body, headers });
  const create = async (lifecycle: string, customerId = "alice") => {
    const r = await call("POST", "/api/orders", staff, {
      lifecycle,
      customerId,
      title: `${lifecycle} for ${customerId}`,
    });
    expect(r.status).toBe(201);
    return r.body;
  };
  const move = (id: string, to: string, token = staff, extra: Record<string, unknown> = {}) =>
    call("POST", `/api/orders/${id}/transitions`, token, { to, ...extra });

  it("creates an order at the lifecycle's first state", async () => {
    const order = await create("repair-booking");
    expect(order).toMatchObject({
      lifecycle: "repair-booking",
      customerId: "alice",
      status: "pending",
      progress: 0,
      version: 1,
    });
    expect(order.history).toEqual([
      expect.objectContaining({ from: null, to: "pending", by: "sam" }),
    ]);
    expect(order.allowed.map((a: { to: string }) => a.to).sort()).toEqual([
      "cancelled",
      "confirmed",
    ]);
  });

  it.each([
    [
      "repair-booking",
      [
        "confirmed",
        "device-received",
        "diagnosis",
        "diagnosis-complete",
        "quote-pending",
        "quote-approved",
        "repair-queued",
        "repair-started",
        "repair-progress",
        "repair-complete",
        "testing",
        "ready-pickup",
        "completed",
      ],
    ],
    ["store-order", ["paid", "packed", "shipped", "out-for-delivery", "delivered", "refunded"]],
    ["test-drive", ["confirmed", "checked-in", "completed"]],
  ])("walks %s end to end", async (lifecycle, path) => {
    const order = await create(lifecycle);
    let progress = -1;
    for (const [i, to] of path.entries()) {
      const token = to === "quote-approved" ? alice : staff; // the customer approves the quote
      const r = await move(order.id, to, token, { note: `step ${i}` });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ status: to, version: i + 2 });
      if (to !== "refunded") expect(r.body.progress).toBeGreaterThanOrEqual(progress);
      progress = r.body.progress;
    }
    const final = await call("GET", `/api/orders/${order.id}`, alice);
    expect(final.body.history.map((h: { to: string }) => h.to)).toEqual([order.status, ...path]);
    expect(final.body.allowed).toEqual([]);
  });

  it("walks the decline path and the no-show path", async () => {
    const repair = await create("repair-booking");
    for (const to of [
      "confirmed",
      "device-received",
      "diagnosis",
      "diagnosis-complete",
      "quote-pending",
    ])
      await move(repair.id, to);
    expect((await move(repair.id, "quote-declined", alice)).body.status).toBe("quote-declined");
    expect((await move(repair.id, "ready-pickup")).status).toBe(200);
    const drive = await create("test-drive");
    await move(drive.id, "confirmed");
    expect((await move(drive.id, "no-show")).body.status).toBe("no-show");
    expect((await move(drive.id, "completed")).status).toBe(409);
  });

  it("refuses jumps the lifecycle does not have: 409 invalid_transition with what is allowed", async () => {
    const order = await create("repair-booking");
    const jump = await move(order.id, "completed");
    expect(jump.status).toBe(409);
    expect(jump.body).toMatchObject({
      code: "invalid_transition",
      details: { from: "pending", to: "completed" },
    });
    expect(jump.body.details.allowed.sort()).toEqual(["cancelled", "confirmed"]);
    expect((await move(order.id, "no-such-state")).body.code).toBe("invalid_transition");
    const store = await create("store-order");
    expect((await move(store.id, "shipped")).status).toBe(409);
  });

  it("refuses transitions the caller's role may not take (403) and orders of other customers", async () => {
    const order = await create("repair-booking");
    const r = await move(order.id, "confirmed", alice);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: "forbidden", details: { allowed: ["cancelled"] } });
    expect((await move(order.id, "cancelled", bob)).status).toBe(403);
    expect((await call("GET", `/api/orders/${order.id}`, bob)).status).toBe(403);
    expect((await call("GET", `/api/orders/${order.id}`, null)).status).toBe(401);
    expect(
      (await call("POST", "/api/orders", alice, { lifecycle: "store-order", customerId: "alice" }))
        .status,
    ).toBe(403);
    // the customer may cancel their own early booking
    expect((await move(order.id, "cancelled", alice)).body.status).toBe("cancelled");
  });

  it("answers 404 for an unknown order", async () => {
    expect((await call("GET", "/api/orders/01NOPE", staff)).body).toMatchObject({
      code: "not_found",
    });
    expect((await move("01NOPE", "confirmed")).status).toBe(404);
  });

  it.each([
    ["no lifecycle", { customerId: "alice" }],
    ["an unknown lifecycle", { lifecycle: "space-flight", customerId: "alice" }],
    ["an empty customer", { lifecycle: "store-order", customerId: "" }],
    ["a bad eta", { lifecycle: "store-order", customerId: "alice", eta: "tomorrow" }],
    [
      "details that are not an object",
      { lifecycle: "store-order", customerId: "alice", details: [1, 2] },
    ],
    ["broken JSON", "{oops"],
  ])("answers 400 with a code for a create with %s", async (_name, body) => {
    const r = await call("POST", "/api/orders", staff, body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("bad_request");
  });

  it("answers 400 for a bad transition body and a bad list query", async () => {
    const order = await create("store-order");
    expect(
      (await call("POST", `/api/orders/${order.id}/transitions`, staff, { to: "" })).status,
    ).toBe(400);
    expect(
      (
        await call("POST", `/api/orders/${order.id}/transitions`, staff, {
          to: "paid",
          expectedVersion: "one",
        })
      ).status,
    ).toBe(400);
    expect((await call("GET", "/api/orders?limit=9999", staff)).status).toBe(400);
  });

  it("refuses a stale expectedVersion with 409 conflict", async () => {
    const order = await create("store-order");
    expect((await move(order.id, "paid", staff, { expectedVersion: 1 })).status).toBe(200);
    const stale = await move(order.id, "packed", staff, { expectedVersion: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "conflict", details: { version: 2 } });
  });

  it("lets exactly one of two racing staff take the same transition", async () => {
    for (let round = 0; round < 5; round++) {
      const order = await create("store-order");
      const results = await Promise.all([
        move(order.id, "paid"),
        move(order.id, "paid"),
        move(order.id, "paid"),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      const final = await call("GET", `/api/orders/${order.id}`, staff);
      expect(final.body.version).toBe(2);
      expect(final.body.history).toHaveLength(2);
    }
  });

  it("replays the first response for a repeated Idempotency-Key and changes nothing", async () => {
    const headers = { "idempotency-key": `create-${database}-1` };
    const body = { lifecycle: "store-order", customerId: "carol" };
    const first = await call("POST", "/api/orders", staff, body, headers);
    const again = await call("POST", "/api/orders", staff, body, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const list = await call("GET", "/api/orders?customerId=carol", staff);
    expect(list.body.items).toHaveLength(1);
    const t1 = await move(first.body.id, "paid", staff, {});
    expect(t1.status).toBe(200);
    const key = { "idempotency-key": `pack-${database}` };
    const p1 = await call(
      "POST",
      `/api/orders/${first.body.id}/transitions`,
      staff,
      { to: "packed" },
      key,
    );
    const p2 = await call(
      "POST",
      `/api/orders/${first.body.id}/transitions`,
      staff,
      { to: "packed" },
      key,
    );
    expect([p1.status, p2.status]).toEqual([200, 200]);
    expect(p2.body.version).toBe(p1.body.version);
    const other = await call(
      "POST",
      "/api/orders",
      staff,
      { lifecycle: "test-drive", customerId: "carol" },
      headers,
    );
    expect(other.status).toBe(409); // same key, different request
    expect(
      (await call("POST", "/api/orders", staff, body, { "idempotency-key": "bad key with spaces" }))
        .status,
    ).toBe(400);
  });

  it("lists with filters and cursor pagination; a customer sees only their own", async () => {
    for (let i = 0; i < 5; i++) await create("test-drive", "dave");
    await create("test-drive", "erin");
    const first = await call("GET", "/api/orders?customerId=dave&limit=2", staff);
    expect(first.body.items).toHaveLength(2);
    const second = await call(
      "GET",
      `/api/orders?customerId=dave&limit=2&cursor=${first.body.nextCursor}`,
      staff,
    );
    const third = await call(
      "GET",
      `/api/orders?customerId=dave&limit=2&cursor=${second.body.nextCursor}`,
      staff,
    );
    const ids = [...first.body.items, ...second.body.items, ...third.body.items].map(
      (o: { id: string }) => o.id,
    );
    expect(new Set(ids).size).toBe(5);
    expect(third.body.nextCursor).toBeUndefined();
    const daveToken = await server.token({ sub: "dave" });
    const own = await call("GET", "/api/orders?customerId=erin", daveToken);
    expect(own.body.items.every((o: { customerId: string }) => o.customerId === "dave")).toBe(true);
    const byStatus = await call(
      "GET",
      "/api/orders?status=requested&lifecycle=test-drive&limit=200",
      staff,
    );
    expect(byStatus.body.items.length).toBeGreaterThanOrEqual(6);
  });

  it("works over the socket with the same service (rpc)", async () => {
    const { RawClient } = await import("../../test-support/ws-client.js");
    const c = await RawClient.connect(server.wsUrl, staff);
    try {
      const created = await c.request({
        type: "rpc",
        method: "orders.create",
        params: { lifecycle: "test-drive", customerId: "alice" },
      });
      expect(created).toMatchObject({ type: "result", data: { status: "requested" } });
      const id = (created.data as { id: string }).id;
      expect(
        await c.request({
          type: "rpc",
          method: "orders.transition",
          params: { id, to: "confirmed" },
        }),
      ).toMatchObject({ data: { status: "confirmed" } });
      expect(
        await c.request({
          type: "rpc",
          method: "orders.transition",
          params: { id, to: "completed" },
        }),
      ).toMatchObject({ type: "error", code: "invalid_transition" });
      expect(
        await c.request({ type: "rpc", method: "orders.transition", params: { id } }),
      ).toMatchObject({ type: "error", code: "bad_request" });
    } finally {
      c.close();
    }
  });

  it("keeps everything across a restart", async () => {
    const order = await create("repair-booking", "frank");
    await move(order.id, "confirmed");
    await server.stop();
    await server.restart();
    const again = await call("GET", `/api/orders/${order.id}`, staff);
    expect(again.body).toMatchObject({ status: "confirmed", version: 2 });
    expect(again.body.history).toHaveLength(2);
    expect((await move(order.id, "device-received")).status).toBe(200);
  });
});

describe("orders settings (SWITCHBOARD_ORDERS_…)", () => {
  it("offers only the lifecycles SWITCHBOARD_ORDERS_LIFECYCLES names for new orders", async () => {
    const server = await startTestServer({ env: { SWITCHBOARD_ORDERS_LIFECYCLES: "store-order" } });
    try {
      const create = (lifecycle: string) =>
        restCall(server, "POST", "/api/orders", { body: { lifecycle, customerId: "alice" } });
      expect((await create("store-order")).status).toBe(201);
      expect(await create("repair-booking")).toMatchObject({
        status: 400,
        body: {
          code: "bad_request",
          message: "lifecycle repair-booking is not offered here (offered: store-order)",
        },
      });
    } finally {
      await server.close();
    }
  });
});
