import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { closeAll, RawClient } from "../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { inboxPageSchema, notificationSchema, unreadSchema } from "./contract.js";
import { MODULES, waitFor } from "./test-helpers.js";

describe.each(DIALECTS)("the in-app inbox on %s", (database) => {
  let server: TestServer;
  const clients: RawClient[] = [];

  beforeEach(async () => {
    server = await startTestServer({
      database,
      env: { SWITCHBOARD_MODULES: MODULES, SWITCHBOARD_NOTIFICATIONS_BATCH_SIZE: "100" },
    });
  });
  afterEach(async () => {
    closeAll(clients);
    await server.close();
  });

  const as = async (sub: string, role: "customer" | "agent" = "customer") => {
    const token = await server.token({ sub, role });
    return (method: string, path: string, body?: unknown) =>
      restCall(server, method, path, { token, body });
  };
  const send = (body: unknown) => restCall(server, "POST", "/api/notifications", { body });
  const connect = async (sub: string) => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub }));
    clients.push(c);
    await c.subscribe(`user:${sub}`);
    return c;
  };

  it("delivers a send live on user:{sub} and keeps it in the inbox with the unread count", async () => {
    const alice = await connect("alice");
    const accepted = await send({
      userId: "alice",
      type: "message",
      data: { title: "Hello <Alice>", body: "Your table is ready" },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ recipients: 1 });

    const item = await alice.next(
      (f) => f.type === "message" && (f as { event?: string }).event === "notification",
      30_000,
    );
    const n = notificationSchema.parse(item.data);
    expect(n).toMatchObject({
      type: "message",
      title: "Hello <Alice>",
      body: "Your table is ready",
      category: "general",
      priority: "normal",
      readAt: null,
    });
    const unread = await alice.next(
      (f) => f.type === "message" && (f as { event?: string }).event === "unread",
      30_000,
    );
    expect(unreadSchema.parse(unread.data).count).toBe(1);

    const mine = await as("alice");
    const page = inboxPageSchema.parse((await mine("GET", "/api/notifications")).body);
    expect(page.unreadCount).toBe(1);
    expect(page.items.map((i) => i.id)).toEqual([n.id]);
    // someone else's inbox does not have it, and cannot read it
    const bob = await as("bob");
    expect((await bob("GET", "/api/notifications")).body.items).toEqual([]);
    expect((await bob("POST", `/api/notifications/${n.id}/read`)).status).toBe(404);

    const read = await mine("POST", `/api/notifications/${n.id}/read`);
    expect(read.status).toBe(200);
    expect(read.body.readAt).toEqual(expect.any(String));
    const after = await alice.next(
      (f) =>
        f.type === "message" &&
        (f as { event?: string }).event === "unread" &&
        (f.data as { count: number }).count === 0,
      30_000,
    );
    expect((after.data as { version: number }).version).toBeGreaterThan(
      (unread.data as { version: number }).version,
    );
    // reading twice changes nothing
    expect((await mine("POST", `/api/notifications/${n.id}/read`)).body.readAt).toBe(
      read.body.readAt,
    );

    const archived = await mine("POST", `/api/notifications/${n.id}/archive`);
    expect(archived.body.archivedAt).toEqual(expect.any(String));
    expect((await mine("GET", "/api/notifications")).body.items).toEqual([]);
    expect((await mine("GET", "/api/notifications?archived=true")).body.items).toHaveLength(1);
  });

  it("groups racing single sends into shared batches on two nodes, each made once", async () => {
    // a second node on the same database: both workers expand the same pending sends
    const other = await startTestServer({ shareWith: server });
    try {
      const users = Array.from({ length: 60 }, (_, i) => `g${String(i).padStart(2, "0")}`);
      const sockets = await Promise.all(users.slice(0, 5).map((u) => connect(u)));
      const bodies = users.flatMap((u) =>
        [0, 1, 2].map((k) => ({
          userId: u,
          type: "message",
          channels: ["in_app"],
          data: { title: `t${k}`, body: u },
        })),
      );
      const replies = await Promise.all(
        bodies.map((body, i) =>
          restCall(i % 2 ? other : server, "POST", "/api/notifications", { body }),
        ),
      );
      expect(replies.every((r) => r.status === 202)).toBe(true);
      for (const u of users) {
        const mine = await as(u);
        const page = await waitFor(`${u}'s three`, async () => {
          const r = await mine("GET", "/api/notifications");
          return r.body.unreadCount >= 3 && r.body;
        });
        expect(page.unreadCount).toBe(3);
        expect(page.items.map((i: { title: string }) => i.title).sort()).toEqual([
          "t0",
          "t1",
          "t2",
        ]);
      }
      // live: each connected user heard each of theirs once
      for (const c of sockets) {
        const got = await c.collect(
          (f) => f.type === "message" && (f as { event?: string }).event === "notification",
          3,
          30_000,
        );
        expect(new Set(got.map((f) => (f.data as { id: string }).id)).size).toBe(3);
      }
      await new Promise((r) => setTimeout(r, 500));
      for (const c of sockets)
        expect(
          c.frames.filter(
            (f) => f.type === "message" && (f as { event?: string }).event === "notification",
          ),
        ).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("sends to many users in batches, each once, and pages the inbox", async () => {
    const users = Array.from({ length: 250 }, (_, i) => `u${String(i).padStart(3, "0")}`);
    const accepted = await send({
      userIds: [...users, "u000"],
      type: "message",
      data: { title: "Sale", body: "today" },
    });
    expect(accepted.body.recipients).toBe(250);
    await waitFor("the send to finish", async () => {
      const s = await restCall(server, "GET", `/api/notifications/sends/${accepted.body.id}`);
      return s.body.status === "done" && s.body;
    });
    for (const u of ["u000", "u125", "u249"]) {
      const inbox = await (await as(u))("GET", "/api/notifications");
      expect(inbox.body.unreadCount).toBe(1);
      expect(inbox.body.items).toHaveLength(1);
    }
    // many for one user: pages by cursor, newest first
    for (let i = 0; i < 5; i++)
      await send({ userId: "pager", type: "message", data: { title: `n${i}`, body: "" } });
    const pager = await as("pager");
    await waitFor("five notifications", async () => {
      const r = await pager("GET", "/api/notifications");
      return r.body.unreadCount === 5;
    });
    const first = await pager("GET", "/api/notifications?limit=2");
    expect(first.body.items.map((i: { title: string }) => i.title)).toEqual(["n4", "n3"]);
    const second = await pager("GET", `/api/notifications?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((i: { title: string }) => i.title)).toEqual(["n2", "n1"]);
    expect((await pager("POST", "/api/notifications/read-all")).body).toEqual({ read: 5 });
    expect((await pager("GET", "/api/notifications?unread=true")).body).toMatchObject({
      items: [],
      unreadCount: 0,
    });
  });

  it("drops a repeat with the same dedupeKey", async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (await send({ userId: "carol", type: "message", dedupeKey: "k1", data: { title: "once" } }))
          .status,
      ).toBe(202);
    const carol = await as("carol");
    await waitFor("the sends to be expanded", async () => {
      const r = await restCall(server, "GET", "/api/notifications/stats");
      return r.body.rows.some((row: { sent: number }) => row.sent >= 1);
    });
    await server.app.jobs.trigger("notifications-worker");
    const inbox = await carol("GET", "/api/notifications");
    expect(inbox.body.items).toHaveLength(1);
  });

  it("makes a small send in the request: racing repeats of one dedupeKey share a group, one made", async () => {
    const dave = await connect("dave");
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        send({
          userIds: ["dave", `other${i}`],
          type: "message",
          channels: ["in_app"],
          dedupeKey: "same",
          data: { title: "once", body: `${i}` },
        }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(202));
    // answered after its commit: already done, nothing left for the worker
    for (const r of replies) {
      const s = await restCall(server, "GET", `/api/notifications/sends/${r.body.id}`);
      expect(s.body).toMatchObject({ status: "done", recipients: 2, processed: 2 });
    }
    const inbox = await (await as("dave"))("GET", "/api/notifications");
    expect(inbox.body.items).toHaveLength(1);
    expect(inbox.body.unreadCount).toBe(1);
    for (let i = 0; i < 12; i++)
      expect((await (await as(`other${i}`))("GET", "/api/notifications")).body.unreadCount).toBe(1);
    const got = await dave.collect(
      (f) => f.type === "message" && (f as { event?: string }).event === "notification",
      1,
      30_000,
    );
    expect(got).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      dave.frames.filter(
        (f) => f.type === "message" && (f as { event?: string }).event === "notification",
      ),
    ).toEqual([]);
  });

  it("keeps the unread count exact under racing reads from two tabs", async () => {
    const tab1 = await connect("dave");
    const tab2 = await connect("dave");
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      await send({ userId: "dave", type: "message", data: { title: `m${i}` } });
    const dave = await as("dave");
    await waitFor("12 notifications", async () => {
      const r = await dave("GET", "/api/notifications?limit=50");
      if (r.body.items.length !== 12) return false;
      ids.push(...r.body.items.map((i: { id: string }) => i.id));
      return true;
    });
    // both tabs read every notification at once, and one of them marks all read as well
    await Promise.all([
      ...ids.map((id) => dave("POST", `/api/notifications/${id}/read`)),
      ...ids.map((id) => dave("POST", `/api/notifications/${id}/read`)),
      dave("POST", "/api/notifications/read-all"),
    ]);
    expect((await dave("GET", "/api/notifications")).body.unreadCount).toBe(0);
    for (const tab of [tab1, tab2]) {
      await waitFor("the last unread event", async () => {
        const unread = tab
          .messages("user:dave")
          .filter((f) => (f as { event?: string }).event === "unread")
          .map((f) => f.data as { count: number; version: number });
        const last = unread.sort((a, b) => b.version - a.version)[0];
        return last?.count === 0;
      });
    }
  });

  it("refuses bad input with codes", async () => {
    const bad = async (body: unknown, status: number, code: string) => {
      const r = await send(body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.code).toBe(code);
    };
    await bad({ type: "message" }, 400, "bad_request"); // no recipient
    await bad({ userId: "a", userIds: ["b"], type: "message" }, 400, "bad_request");
    await bad({ userId: "a", type: "Not A Type" }, 400, "bad_request");
    await bad({ userId: "a", type: "message", priority: "asap" }, 400, "bad_request");
    await bad({ userId: "a", type: "message", channels: ["pigeon"] }, 400, "bad_request");
    await bad({ userId: "a", type: "no.such.type" }, 422, "unknown_notification_type");
    await bad("{not json", 400, "bad_request");
    // a customer may not send
    const customer = await as("eve");
    expect(
      (await customer("POST", "/api/notifications", { userId: "x", type: "message" })).status,
    ).toBe(403);
    expect((await restCall(server, "GET", "/api/notifications", { token: null })).status).toBe(401);
    expect((await customer("GET", "/api/notifications?limit=0")).status).toBe(400);
    expect(
      (await customer("PUT", "/api/notifications/preferences", { timeZone: "Mars/Base" })).body,
    ).toMatchObject({ code: "bad_time_zone" });
  });
});
