import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MONDAY, MONDAY_10, setUpShop } from "../../test-support/appointments.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";

describe("appointments refuse bad input with codes", () => {
  let server: TestServer;
  let customer: string;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    await setUpShop(server);
    customer = await server.token({ sub: "ann" });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });
  const call = (method: string, path: string, body?: unknown, token: string | null = customer) =>
    restCall(server, method, `/api/appointments${path}`, {
      body,
      token,
    });
  const staff = (method: string, path: string, body?: unknown) =>
    restCall(server, method, `/api/appointments${path}`, { body });

  it.each([
    ["to before from", `/slots?service=cut&from=${MONDAY}&to=2027-01-03`, 400, "invalid_range"],
    ["a range too long", `/slots?service=cut&from=2027-01-01&to=2027-03-01`, 400, "invalid_range"],
    ["an unknown service", `/slots?service=perm&from=${MONDAY}`, 422, "unknown_service"],
    [
      "an unknown resource",
      `/slots?service=cut&resource=chair-9&from=${MONDAY}`,
      422,
      "unknown_resource",
    ],
    [
      "a service the resource does not offer",
      `/slots?service=colour&resource=chair-2&from=${MONDAY}`,
      422,
      "service_not_offered",
    ],
    ["a date that is not one", "/slots?service=cut&from=2027-02-30", 400, "bad_request"],
    ["no service", `/slots?from=${MONDAY}`, 400, "bad_request"],
  ])("slots with %s", async (_, path, status, code) => {
    expect(await call("GET", path)).toMatchObject({ status, body: { code } });
  });

  it.each([
    [
      "outside hours (07:00 Berlin)",
      { service: "cut", resourceId: "chair-1", start: "2027-01-04T06:00:00Z" },
      422,
      "outside_hours",
    ],
    [
      "in the lunch break",
      { service: "cut", resourceId: "chair-1", start: "2027-01-04T11:15:00Z" },
      422,
      "outside_hours",
    ],
    [
      "off the slot grid",
      { service: "cut", resourceId: "chair-1", start: "2027-01-04T09:05:00Z" },
      422,
      "outside_hours",
    ],
    [
      "in the past",
      { service: "cut", resourceId: "chair-1", start: "2020-01-06T09:00:00Z" },
      422,
      "outside_hours",
    ],
    ["an unknown service", { service: "perm", start: MONDAY_10 }, 422, "unknown_service"],
    [
      "an unknown resource",
      { service: "cut", resourceId: "nope", start: MONDAY_10 },
      422,
      "unknown_resource",
    ],
    [
      "a start that is not a date-time",
      { service: "cut", start: "monday 10am" },
      400,
      "bad_request",
    ],
    [
      "a start without an offset",
      { service: "cut", start: "2027-01-04T10:00:00" },
      400,
      "bad_request",
    ],
    [
      "someone else as the customer",
      { service: "cut", start: MONDAY_10, customerId: "bob" },
      403,
      "forbidden",
    ],
  ])("a hold %s", async (_, body, status, code) => {
    expect(await call("POST", "/holds", body)).toMatchObject({ status, body: { code } });
  });

  it("staff must say whom they book for; broken JSON is a 400", async () => {
    expect(await staff("POST", "/holds", { service: "cut", start: MONDAY_10 })).toMatchObject({
      status: 400,
      body: { code: "bad_request" },
    });
    expect(await call("POST", "/holds", "{not json")).toMatchObject({ status: 400 });
    expect(await call("POST", "/holds", { service: "cut", start: MONDAY_10 }, null)).toMatchObject({
      status: 401,
    });
  });

  it.each([
    [
      "a time zone that does not exist",
      { name: "x", timeZone: "Mars/Olympus", services: [], hours: {} },
      400,
      "bad_request",
    ],
    [
      "an interval ending before it starts",
      { name: "x", timeZone: "UTC", services: [], hours: { mon: [["12:00", "09:00"]] } },
      400,
      "bad_request",
    ],
    [
      "overlapping intervals",
      {
        name: "x",
        timeZone: "UTC",
        services: [],
        hours: {
          mon: [
            ["09:00", "12:00"],
            ["11:00", "13:00"],
          ],
        },
      },
      400,
      "bad_request",
    ],
    [
      "a time off the 5-minute grid",
      { name: "x", timeZone: "UTC", services: [], hours: { mon: [["09:03", "12:00"]] } },
      400,
      "bad_request",
    ],
    [
      "a weekday that is not one",
      { name: "x", timeZone: "UTC", services: [], hours: { funday: [["09:00", "12:00"]] } },
      400,
      "bad_request",
    ],
    [
      "an unknown service",
      { name: "x", timeZone: "UTC", services: ["perm"], hours: {} },
      422,
      "unknown_service",
    ],
  ])("a resource with %s", async (_, body, status, code) => {
    expect(await staff("PUT", "/resources/x", body)).toMatchObject({ status, body: { code } });
  });

  it("services: durations on the grid, staff only; ids are slugs", async () => {
    expect(await staff("PUT", "/services/x", { name: "x", durationMinutes: 7 })).toMatchObject({
      status: 400,
    });
    expect(await staff("PUT", "/services/x", { name: "x", durationMinutes: 0 })).toMatchObject({
      status: 400,
    });
    expect(
      await staff("PUT", "/services/x", { name: "x", durationMinutes: 30, capacity: 0 }),
    ).toMatchObject({ status: 400 });
    expect(
      await staff("PUT", "/services/Not%20A%20Slug", { name: "x", durationMinutes: 30 }),
    ).toMatchObject({ status: 400 });
    expect(await call("PUT", "/services/x", { name: "x", durationMinutes: 30 })).toMatchObject({
      status: 403,
    });
    expect(
      await call("PUT", `/resources/chair-1/exceptions/${MONDAY}`, { hours: [] }),
    ).toMatchObject({ status: 403 });
    expect(
      await staff("PUT", "/resources/chair-1/exceptions/2027-13-01", { hours: [] }),
    ).toMatchObject({ status: 400 });
    expect(await staff("PUT", `/resources/none/exceptions/${MONDAY}`, { hours: [] })).toMatchObject(
      { status: 404 },
    );
  });

  it("actions on appointments that are not there, or not in a state for it", async () => {
    expect(await call("POST", "/01ARZ3NDEKTSV4RRFFQ69G5FAV/confirm")).toMatchObject({
      status: 404,
      body: { code: "not_found" },
    });
    const hold = await call("POST", "/holds", {
      service: "cut",
      resourceId: "chair-2",
      start: MONDAY_10,
    });
    expect((await call("POST", `/${hold.body.id}/release`)).body.status).toBe("released");
    expect(await call("POST", `/${hold.body.id}/confirm`)).toMatchObject({
      status: 409,
      body: { code: "hold_expired" },
    });
    expect(
      await call("POST", `/${hold.body.id}/reschedule`, { start: "2027-01-04T13:00:00Z" }),
    ).toMatchObject({ status: 409, body: { code: "hold_expired" } });
    expect(await call("POST", `/${hold.body.id}/reschedule`, { start: "soon" })).toMatchObject({
      status: 400,
    });
  });

  it("the socket refuses publishing on a calendar and bad rpc params, and stays up", async () => {
    const c = await RawClient.connect(server.wsUrl, customer);
    clients.push(c);
    await c.subscribe("schedule:chair-1");
    expect(
      await c.request({ type: "publish", channel: "schedule:chair-1", event: "slots", data: {} }),
    ).toMatchObject({ type: "error", code: "forbidden" });
    expect(
      await c.request({ type: "rpc", method: "appointments.hold", params: { service: 5 } }),
    ).toMatchObject({ type: "error", code: "bad_request" });
    expect(
      await c.request({
        type: "rpc",
        method: "appointments.slots",
        params: { service: "cut", from: MONDAY, to: "2026-01-01" },
      }),
    ).toMatchObject({ type: "error", code: "invalid_range" });
    expect(
      await c.request({
        type: "rpc",
        method: "appointments.slots",
        params: { service: "cut", from: MONDAY },
      }),
    ).toMatchObject({ type: "result" });
  });
});
