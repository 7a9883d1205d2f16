import { DateTime } from "luxon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { MODULES, waitFor } from "./test-helpers.js";
import { browserKeys, receiver, smtpSink } from "./test-kit.js";

/**
 * Escalation of unread urgent notifications and the deferrals (quiet-hours release, digests),
 * all scheduler tasks: against a real push endpoint and a real SMTP server on loopback, with a
 * short escalation time, and across a restart.
 */
describe.each(DIALECTS)("escalation and deferrals on the scheduler on %s", (database) => {
  let server: TestServer;
  let push: Awaited<ReturnType<typeof receiver>>;
  let smtp: Awaited<ReturnType<typeof smtpSink>>;
  const AFTER_MS = 1500;

  beforeAll(async () => {
    push = await receiver();
    smtp = await smtpSink();
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: MODULES,
        SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS: "127.0.0.1",
        SWITCHBOARD_NOTIFICATIONS_SMTP_URL: smtp.url,
        SWITCHBOARD_NOTIFICATIONS_ESCALATION_AFTER_MS: String(AFTER_MS),
        SWITCHBOARD_NOTIFICATIONS_ESCALATION_CHANNELS: "push,email,sms",
        SWITCHBOARD_NOTIFICATIONS_DIGEST_WINDOW_MS: "3000",
        SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: "200",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await push.close();
    await smtp.close();
  });

  const as = async (sub: string) => {
    const token = await server.token({ sub });
    return (method: string, path: string, body?: unknown) =>
      restCall(server, method, path, { token, body });
  };
  const api = (method: string, path: string, body?: unknown) =>
    restCall(server, method, path, { body });
  const firstItem = async (sub: string) =>
    waitFor(`${sub}'s notification`, async () => {
      const items = (await (await as(sub))("GET", "/api/notifications")).body.items;
      return items[0] as { id: string; title: string } | undefined;
    });
  const deliveries = async (id: string) =>
    (await api("GET", `/api/notifications/${id}/deliveries`)).body.deliveries as {
      channel: string;
      status: string;
    }[];
  /** A user reachable on push (a real subscription on the loopback push service) and email. */
  async function reachable(sub: string) {
    const keys = browserKeys();
    const call = await as(sub);
    const subscribed = await call("POST", "/api/notifications/push-subscriptions", {
      endpoint: `${push.url}/push/${sub}`,
      keys: keys.keys,
    });
    expect(subscribed.status).toBe(201);
    expect(
      (await api("PUT", `/api/notifications/contacts/${sub}`, { email: `${sub}@example.test` }))
        .status,
    ).toBe(200);
    return { keys, call };
  }

  it("sends an unread urgent notification on to push, then email; a read one goes nowhere", async () => {
    const { keys } = await reachable("una");
    await reachable("rex");
    const sentAt = Date.now();
    for (const userId of ["una", "rex"])
      await api("POST", "/api/notifications", {
        userId,
        type: "message",
        priority: "urgent",
        channels: ["in_app"],
        data: { title: "Alarm", body: "Water leak in bay 2" },
      });
    const una = await firstItem("una");
    const rex = await firstItem("rex");
    // rex reads his at once: nothing escalates for him
    expect((await (await as("rex"))("POST", `/api/notifications/${rex.id}/read`)).status).toBe(200);

    const pushed = await waitFor("the escalated push", async () =>
      push.got.find((r) => r.path === "/push/una"),
    );
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(AFTER_MS);
    expect(keys.decrypt(pushed.body)).toMatchObject({
      title: "Alarm",
      body: "Water leak in bay 2",
    });
    const mail = await waitFor("the escalated email", async () =>
      smtp.mails.find((m) => m.subject === "Alarm"),
    );
    expect(mail.text?.trim()).toBe("Water leak in bay 2");
    const both = await waitFor("both marked sent", async () => {
      const ds = await deliveries(una.id);
      return ds.every((d) => d.status === "sent") && ds;
    });
    expect(both.map((d) => d.channel)).toEqual(["email", "push"]);
    // una has no phone: the chain ends at email. Give it time to do anything else wrongly.
    await new Promise((r) => setTimeout(r, AFTER_MS * 2));
    expect((await deliveries(una.id)).map((d) => d.channel)).toEqual(["email", "push"]);
    expect(push.got.filter((r) => r.path === "/push/rex")).toEqual([]);
    expect(await deliveries(rex.id)).toEqual([]);
  });

  it("follows a user's own escalation, and refuses a bad one", async () => {
    const { call } = await reachable("ivy");
    const set = await call("PUT", "/api/notifications/preferences", {
      escalation: { afterMinutes: 1, channels: ["email"] },
    });
    expect(set.status).toBe(200);
    expect(set.body.escalation).toEqual({ afterMinutes: 1, channels: ["email"] });
    for (const bad of [
      { afterMinutes: 0, channels: ["email"] },
      { afterMinutes: 5, channels: ["email", "email"] },
      { afterMinutes: 5, channels: ["in_app"] },
      { afterMinutes: 5 },
      "soon",
    ]) {
      const r = await call("PUT", "/api/notifications/preferences", { escalation: bad });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("bad_request");
    }
    await api("POST", "/api/notifications", {
      userId: "ivy",
      type: "message",
      priority: "urgent",
      channels: ["in_app"],
      data: { title: "Ivy's alarm", body: "b" },
    });
    const item = await firstItem("ivy");
    const task = await waitFor("the escalation task", async () =>
      server.app.store.db
        .selectFrom("scheduled_tasks")
        .selectAll()
        .where("key", "=", `notifications:escalate:${item.id}`)
        .executeTakeFirst(),
    );
    // her minute, not the server's 1.5 s
    expect(Date.parse(task.run_at) - Date.now()).toBeGreaterThan(30_000);
    // the minute passes: straight to email, push (the server's first) passed over
    await server.app.scheduler.reschedule(server.app.store.db, task.key, new Date());
    await waitFor("ivy's email", async () => smtp.mails.find((m) => m.subject === "Ivy's alarm"));
    expect((await deliveries(item.id)).map((d) => d.channel)).toEqual(["email"]);
    expect(push.got.filter((r) => r.path === "/push/ivy")).toEqual([]);
    // null gives the server's back
    const reset = await call("PUT", "/api/notifications/preferences", { escalation: null });
    expect(reset.body.escalation).toBeNull();
  });

  it("releases quiet-hours deliveries and sends digests from scheduled tasks that survive a restart", async () => {
    const zone = "Europe/Berlin";
    const local = DateTime.now().setZone(zone);
    const { call } = await reachable("quin");
    await call("PUT", "/api/notifications/preferences", {
      quietHours: {
        start: local.minus({ hours: 1 }).toFormat("HH:mm"),
        end: local.plus({ hours: 2 }).toFormat("HH:mm"),
      },
      timeZone: zone,
    });
    await api("POST", "/api/notifications", {
      userId: "quin",
      type: "message",
      channels: ["in_app", "email"],
      data: { title: "After the quiet", body: "q" },
    });
    const item = await firstItem("quin");
    expect((await deliveries(item.id))[0]?.status).toBe("held");
    // low ones open a digest window (3 s) …
    for (const k of ["a", "b"])
      await api("POST", "/api/notifications", {
        userId: "dora",
        type: "message",
        priority: "low",
        dedupeKey: `d-${k}`,
        data: { title: `item ${k}`, body: "x" },
      });
    await waitFor("the digest task", async () =>
      server.app.store.db
        .selectFrom("scheduled_tasks")
        .select("key")
        .where("task", "=", "notifications.digest")
        .executeTakeFirst(),
    );
    // … and the server goes down before it ends, and comes back
    await server.restart();
    const digest = await firstItem("dora");
    expect(digest.title).toMatch(/^2 new: item [ab]$/);

    // the release task is still there after the restart; its time comes
    const release = await server.app.store.db
      .selectFrom("scheduled_tasks")
      .selectAll()
      .where("task", "=", "notifications.release")
      .where("key", "like", "notifications:release:quin:%")
      .executeTakeFirstOrThrow();
    expect(JSON.parse(release.payload)).toMatchObject({ userId: "quin" });
    expect(Date.parse(release.run_at)).toBeGreaterThan(Date.now() + 3_600_000);
    // held: the worker leaves it alone, however often it runs
    await server.app.jobs.trigger("notifications-worker");
    expect((await deliveries(item.id))[0]?.status).toBe("held");
    await server.app.scheduler.reschedule(server.app.store.db, release.key, new Date());
    await waitFor("the released email", async () =>
      smtp.mails.find((m) => m.subject === "After the quiet"),
    );
    await waitFor(
      "the delivery marked sent",
      async () => (await deliveries(item.id))[0]?.status === "sent",
    );
  });

  it("schedules, at start, a digest an older version opened without a task, and sends it once", async () => {
    // what the old worker loop left: an open digest (window ended) with two items, no task
    const db = server.app.store.db;
    const at = new Date(Date.now() - 60_000).toISOString();
    const generation = "01OLDLOOPGENERATION0000001";
    await db
      .insertInto("notification_digests")
      .values({
        id: "message|olga",
        user_id: "olga",
        type: "message",
        window_end: at,
        generation,
        created_at: at,
      })
      .execute();
    await db
      .insertInto("notification_digest_items")
      .values(
        ["one", "two"].map((k) => ({
          user_id: "olga",
          type: "message",
          item_key: k,
          generation,
          title: `old ${k}`,
          body: "x",
          created_at: at,
        })),
      )
      .execute();
    const task = () =>
      server.app.store.db
        .selectFrom("scheduled_tasks")
        .selectAll()
        .where("key", "=", `notifications:digest:${generation}`)
        .executeTakeFirst();
    expect(await task()).toBeUndefined();
    await server.restart();
    const digest = await firstItem("olga");
    expect(digest.title).toBe("2 new: old one");
    // once: another start finds nothing left to adopt, and the inbox keeps one digest
    await server.restart();
    await server.app.jobs.trigger("notifications-worker");
    const items = (await (await as("olga"))("GET", "/api/notifications")).body.items;
    expect(items).toHaveLength(1);
    expect(
      await server.app.store.db
        .selectFrom("notification_digests")
        .selectAll()
        .where("user_id", "=", "olga")
        .execute(),
    ).toEqual([]);
  });
});
