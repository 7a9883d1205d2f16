import { afterEach, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { waitFor } from "./test-helpers.js";

/**
 * A large send goes out in chunks claimed in `notification_send_chunks`: several at once on
 * PostgreSQL (lanes), from two nodes whose workers race for the same chunks. Every recipient
 * gets exactly one notification and one `unread` count that is right.
 */
describe.each(DIALECTS)("a large send in chunks on %s", (database) => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    // the sharing node first: the first owns the database
    for (const s of servers.reverse()) await s.close();
    servers.length = 0;
  });

  it("makes each recipient's notification once while two nodes expand it", async () => {
    const env = {
      SWITCHBOARD_MODULES: "notifications",
      SWITCHBOARD_NOTIFICATIONS_BATCH_SIZE: "40",
      // the test drives the workers itself
      SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: "60000",
    };
    const a = await startTestServer({ database, env });
    servers.push(a);
    const b = await startTestServer({ database, env, shareWith: a });
    servers.push(b);
    const users = Array.from({ length: 601 }, (_, i) => `c${String(i).padStart(4, "0")}`);
    // one user already has an unread one: the count after the send is 2
    await restCall(a, "POST", "/api/notifications", {
      body: { userId: "c0300", type: "message", data: { title: "before" } },
    });
    const accepted = await restCall(a, "POST", "/api/notifications", {
      body: { userIds: users, type: "message", channels: ["in_app"], data: { title: "Bulk" } },
    });
    expect(accepted.status).toBe(202);
    const id = accepted.body.id as string;
    // both nodes' workers at once, more than once: they race for the same chunks
    await Promise.all([
      a.app.jobs.trigger("notifications-worker"),
      b.app.jobs.trigger("notifications-worker"),
      a.app.jobs.trigger("notifications-worker"),
      b.app.jobs.trigger("notifications-worker"),
    ]);
    const status = await waitFor("the send to be done", async () => {
      await a.app.jobs.trigger("notifications-worker");
      const s = await restCall(b, "GET", `/api/notifications/sends/${id}`);
      return s.body.status === "done" && s.body;
    });
    expect(status).toMatchObject({ recipients: 601, processed: 601 });
    const db = a.app.store.db;
    const perUser = await db
      .selectFrom("notifications")
      .select(["user_id", (eb) => eb.fn.countAll<string | number>().as("n")])
      .where("send_id", "=", id)
      .groupBy("user_id")
      .execute();
    expect(perUser).toHaveLength(601);
    expect(perUser.filter((r) => Number(r.n) !== 1)).toEqual([]);
    // the claims are cleared once the send is done
    expect(
      await db
        .selectFrom("notification_send_chunks")
        .select("start")
        .where("send_id", "=", id)
        .execute(),
    ).toEqual([]);
    const token = await a.token({ sub: "c0300" });
    const inbox = await restCall(b, "GET", "/api/notifications", { token });
    expect(inbox.body.unreadCount).toBe(2);
    expect(inbox.body.items.map((i: { title: string }) => i.title)).toEqual(["Bulk", "before"]);
  });

  it("finishes a send an older version left part-way (processed as a prefix)", async () => {
    const a = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: "notifications",
        SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: "60000",
      },
    });
    servers.push(a);
    const users = Array.from({ length: 150 }, (_, i) => `p${String(i).padStart(3, "0")}`);
    const db = a.app.store.db;
    // as the migration leaves such a send: its first 100 made by the old batches
    await db
      .insertInto("notification_sends")
      .values({
        id: "legacy-send",
        type: "message",
        request: JSON.stringify({
          data: { title: "Old" },
          priority: "normal",
          templateVersion: 0,
          origin: 100,
          batch: 100,
        }),
        user_ids: JSON.stringify(users),
        total: 150,
        processed: 100,
        status: "pending",
        created_at: new Date().toISOString(),
      })
      .execute();
    await a.app.jobs.trigger("notifications-worker");
    const s = await waitFor("the legacy send to be done", async () => {
      const r = await restCall(a, "GET", "/api/notifications/sends/legacy-send");
      return r.body.status === "done" && r.body;
    });
    expect(s).toMatchObject({ processed: 150 });
    const made = await db
      .selectFrom("notifications")
      .select("user_id")
      .where("send_id", "=", "legacy-send")
      .orderBy("user_id")
      .execute();
    expect(made.map((r) => r.user_id)).toEqual(users.slice(100));
  });
});
