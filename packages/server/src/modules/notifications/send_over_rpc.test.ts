import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { notificationSchema } from "./contract.js";
import { MODULES } from "./test-helpers.js";

describe.each(DIALECTS)("notifications.send over the socket on %s", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    server = await startTestServer({ database, env: { SWITCHBOARD_MODULES: MODULES } });
  });
  afterEach(async () => {
    closeAll(clients);
    await server.close();
  });

  const connect = async (sub: string, role: "customer" | "agent") => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub, role }));
    clients.push(c);
    return c;
  };
  const send = (c: RawClient, params: unknown) =>
    c.request({ type: "rpc", method: "notifications.send", params }, 30_000);

  it("sends like POST /api/notifications for staff, once per dedupeKey, and refuses customers and bad input", async () => {
    const alice = await connect("alice", "customer");
    await alice.subscribe("user:alice");
    const staff = await connect("desk", "agent");

    const body = {
      userId: "alice",
      type: "message",
      data: { title: "Your car is ready" },
      dedupeKey: "ready-1",
    };
    const first = await send(staff, body);
    expect(first).toMatchObject({ type: "result", data: { recipients: 1 } });
    const live = await alice.next(
      (f) => f.type === "message" && (f as { event?: string }).event === "notification",
      30_000,
    );
    expect(notificationSchema.parse(live.data)).toMatchObject({ title: "Your car is ready" });
    // a retry with the same dedupeKey makes no second notification
    expect(await send(staff, body)).toMatchObject({ type: "result" });
    const marker = await send(staff, { userId: "alice", type: "message", data: { title: "m" } });
    expect(marker).toMatchObject({ type: "result" });
    const isNotification = (f: { type: string; event?: string }) =>
      f.type === "message" && f.event === "notification";
    await alice.next(
      (f) =>
        isNotification(f as { type: string }) && notificationSchema.parse(f.data).title === "m",
      30_000,
    );
    // frames that `next` did not take: a second "Your car is ready" would be here (it would come
    // before the marker, sent after the retry)
    const titles = alice
      .messages("user:alice")
      .filter((f) => isNotification(f as { type: string }))
      .map((f) => notificationSchema.parse(f.data).title);
    expect(titles).toEqual([]);

    // a customer may not send, whoever to
    expect(await send(alice, { userId: "bob", type: "message" })).toMatchObject({
      type: "error",
      code: "forbidden",
    });
    // bad input: refused with a code and its path, nothing sent
    const bad = await send(staff, { userId: "alice", type: "message", priority: "very" });
    expect(bad).toMatchObject({ type: "error", code: "bad_request" });
    expect(JSON.stringify(bad)).toContain("priority");
    expect(await send(staff, { type: "message" })).toMatchObject({
      type: "error",
      code: "bad_request",
    });
    expect(await send(staff, { userId: "alice", type: "no-such-type" })).toMatchObject({
      type: "error",
      code: "unknown_notification_type",
    });
  });
});
