import { createECDH, createHmac, randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import ece from "http_ece";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { restCall } from "../../test-support/rest.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { MODULES, waitFor } from "./test-helpers.js";
import { type Received, receiver } from "./test-kit.js";

describe.each(DIALECTS)("push, email and SMS deliveries on %s", (database) => {
  let server: TestServer;
  let push: Awaited<ReturnType<typeof receiver>>;
  let sms: Awaited<ReturnType<typeof receiver>>;
  let smtp: SMTPServer;
  const mails: ParsedMail[] = [];
  const smsSecret = randomBytes(16).toString("hex");
  let smsFailures = 1; // the first SMS attempt fails, the retry goes through

  beforeAll(async () => {
    push = await receiver((r) => (r.path.startsWith("/gone") ? 410 : 201));
    sms = await receiver((r) => {
      const to = (JSON.parse(r.body.toString()) as { to: string }).to;
      if (to === "+15550000003") return 503; // a provider that is always down for this one
      if (smsFailures > 0) {
        smsFailures--;
        return 500;
      }
      return 200;
    });
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((m) => {
            mails.push(m);
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    server = await startTestServer({
      database,
      env: {
        SWITCHBOARD_MODULES: MODULES,
        SWITCHBOARD_NOTIFICATIONS_PUSH_HOSTS: "127.0.0.1",
        SWITCHBOARD_NOTIFICATIONS_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        SWITCHBOARD_NOTIFICATIONS_EMAIL_FROM: "Shop <shop@example.test>",
        SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_URL: `${sms.url}/sms`,
        SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_SECRET: smsSecret,
        SWITCHBOARD_NOTIFICATIONS_RETRY_BASE_MS: "100",
        SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: "200",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await push.close();
    await sms.close();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  const as = async (sub: string) => {
    const token = await server.token({ sub });
    return (method: string, path: string, body?: unknown) =>
      restCall(server, method, path, { token, body });
  };
  const send = (body: unknown) => restCall(server, "POST", "/api/notifications", { body });
  const deliveries = async (user: string) => {
    const inbox = await (await as(user))("GET", "/api/notifications");
    const id = inbox.body.items[0]?.id as string | undefined;
    if (!id) return [];
    return (await restCall(server, "GET", `/api/notifications/${id}/deliveries`)).body
      .deliveries as {
      channel: string;
      status: string;
      attempts: number;
      lastError: string | null;
    }[];
  };

  it("sends Web Push encrypted with the subscription's keys and signed with the VAPID key", async () => {
    // The browser's side: an ECDH P-256 key pair and an auth secret, as PushManager makes them.
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const auth = randomBytes(16);
    const alice = await as("alice");
    const subscribed = await alice("POST", "/api/notifications/push-subscriptions", {
      endpoint: `${push.url}/push/alice`,
      keys: { p256dh: ecdh.getPublicKey("base64url"), auth: auth.toString("base64url") },
    });
    expect(subscribed.status).toBe(201);

    await send({
      userId: "alice",
      type: "message",
      channels: ["in_app", "push"],
      data: { title: "Ready", body: "Your repair is done" },
    });
    const got = await waitFor("the push", async () =>
      push.got.find((r) => r.path === "/push/alice"),
    );
    expect(got.headers["content-encoding"]).toBe("aes128gcm");
    const payload = JSON.parse(
      ece
        .decrypt(got.body, { version: "aes128gcm", privateKey: ecdh, authSecret: auth })
        .toString(),
    );
    expect(payload).toMatchObject({ title: "Ready", body: "Your repair is done" });
    const { publicKey } = (await restCall(server, "GET", "/api/notifications/vapid-public-key"))
      .body;
    expect(got.headers.authorization).toContain(`k=${publicKey}`);
    await waitFor("the push to be marked sent", async () =>
      (await deliveries("alice")).find((d) => d.channel === "push" && d.status === "sent"),
    );
  });

  it("removes a subscription the push service answers 410 for", async () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const ben = await as("ben");
    const body = {
      endpoint: `${push.url}/gone/ben`,
      keys: { p256dh: ecdh.getPublicKey("base64url"), auth: randomBytes(16).toString("base64url") },
    };
    expect((await ben("POST", "/api/notifications/push-subscriptions", body)).status).toBe(201);
    await send({
      userId: "ben",
      type: "message",
      channels: ["in_app", "push"],
      data: { title: "x" },
    });
    const d = await waitFor("the push to be given up", async () =>
      (await deliveries("ben")).find((x) => x.channel === "push" && x.status === "skipped"),
    );
    expect(d.lastError).toContain("410");
    const left = await server.app.store.db
      .selectFrom("push_subscriptions")
      .select("id")
      .where("user_id", "=", "ben")
      .execute();
    expect(left).toEqual([]);
  });

  it("refuses push endpoints off the allowed hosts and more than 5 subscriptions", async () => {
    const cleo = await as("cleo");
    const keys = {
      p256dh: createECDH("prime256v1").generateKeys("base64url"),
      auth: randomBytes(16).toString("base64url"),
    };
    const off = await cleo("POST", "/api/notifications/push-subscriptions", {
      endpoint: "http://10.0.0.1/push",
      keys,
    });
    expect(off.status).toBe(400);
    for (let i = 0; i < 5; i++)
      expect(
        (
          await cleo("POST", "/api/notifications/push-subscriptions", {
            endpoint: `${push.url}/push/c${i}`,
            keys,
          })
        ).status,
      ).toBe(201);
    const sixth = await cleo("POST", "/api/notifications/push-subscriptions", {
      endpoint: `${push.url}/push/c5`,
      keys,
    });
    expect(sixth.status).toBe(409);
    expect(sixth.body.code).toBe("push_subscription_limit");
    expect(
      (
        await cleo("DELETE", "/api/notifications/push-subscriptions", {
          endpoint: `${push.url}/push/c0`,
        })
      ).body,
    ).toEqual({ removed: true });
  });

  it("emails the text and HTML parts of the template over SMTP", async () => {
    const set = await restCall(server, "PUT", "/api/notifications/contacts/dora", {
      body: { email: "dora@example.test", timeZone: "Europe/Berlin" },
    });
    expect(set.status).toBe(200);
    await send({
      userId: "dora",
      type: "order.ready_for_pickup",
      channels: ["email"],
      data: { title: "iPhone <14>", orderId: "o-17" },
    });
    const mail = await waitFor("the email", async () =>
      mails.find((m) => m.subject === "Ready for pickup: iPhone <14>"),
    );
    expect(mail.from?.text).toContain("shop@example.test");
    expect(mail.text).toContain("iPhone <14> is ready for pickup");
    expect(mail.html).toContain("<strong>iPhone &lt;14&gt;</strong>");
    expect(mail.messageId).toMatch(/@switchboard\.notifications>$/);
    // email only: nothing in the inbox
    expect((await (await as("dora"))("GET", "/api/notifications")).body.items).toEqual([]);
  });

  it("texts through the signed webhook, retrying a failure, and shows a delivery that keeps failing", async () => {
    await restCall(server, "PUT", "/api/notifications/contacts/eli", {
      body: { phone: "+15550000002" },
    });
    await restCall(server, "PUT", "/api/notifications/contacts/fay", {
      body: { phone: "+15550000003" },
    });
    await send({
      userIds: ["eli", "fay"],
      type: "message",
      channels: ["in_app", "sms"],
      data: { title: "Hi", body: "there" },
    });
    const eli = await waitFor("eli's SMS to be sent", async () =>
      (await deliveries("eli")).find((d) => d.channel === "sms" && d.status === "sent"),
    );
    expect(eli.attempts).toBe(2);
    const ok = sms.got.filter((r) => r.body.toString().includes("+15550000002"));
    expect(ok.length).toBe(2);
    const last = ok.at(-1) as Received;
    expect(JSON.parse(last.body.toString())).toMatchObject({
      to: "+15550000002",
      text: "Hi: there",
    });
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(last.headers["x-switchboard-signature"]));
    expect(sig).not.toBeNull();
    const expected = createHmac("sha256", smsSecret)
      .update(`${sig?.[1]}.${last.body.toString()}`)
      .digest("hex");
    expect(sig?.[2]).toBe(expected);
    expect(last.headers["idempotency-key"]).toBe(ok[0]?.headers["idempotency-key"]);

    const fay = await waitFor("fay's SMS to fail", async () =>
      (await deliveries("fay")).find((d) => d.channel === "sms" && d.status === "failed"),
    );
    expect(fay.attempts).toBe(3);
    expect(fay.lastError).toContain("503");
    const stats = await restCall(server, "GET", "/api/notifications/stats");
    const smsRow = stats.body.rows.find(
      (r: { channel: string; type: string }) => r.channel === "sms",
    );
    // two tried, one accepted by the provider, one given up
    expect(smsRow).toMatchObject({ sent: 2, delivered: 1, failed: 1 });
    // a user without a phone: skipped, not failed
    await send({
      userId: "gus",
      type: "message",
      channels: ["in_app", "sms"],
      data: { title: "x" },
    });
    const gus = await waitFor("gus's SMS to be skipped", async () =>
      (await deliveries("gus")).find((d) => d.status === "skipped"),
    );
    expect(gus.lastError).toBe("no phone number");
  });
});
