import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { postgresAvailable } from "../../test-support/services.js";
import type { TestServer } from "../../testing.js";
import type { WebhookEvent } from "./contract.js";
import { APP, startPusherServer, until } from "./test-kit.js";

/**
 * A reap of a dead node is heard by every survivor, some of them late: a notice heard after the
 * `channel_vacated` task already ran (its row gone) must not send the webhook again. The reap's
 * notice is sent here as the broker sends it (a `leave` on the app's channel index), on a real
 * server with PostgreSQL, its scheduler and its webhook delivery.
 */
describe.runIf(await postgresAvailable())("channel_vacated after a late reap notice", () => {
  let server: TestServer | undefined;
  let receiver: Server | undefined;
  const events: WebhookEvent[] = [];

  afterAll(async () => {
    await server?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it("sends one webhook per vacancy however late a notice comes", async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        events.push(...(JSON.parse(body) as { events: WebhookEvent[] }).events);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver?.listen(0, "127.0.0.1", r));
    const { port } = receiver.address() as AddressInfo;
    const s = await startPusherServer({
      database: "postgres",
      extraEnv: { SWITCHBOARD_PUSHER_WEBHOOK_URLS: `http://127.0.0.1:${port}/hook` },
    });
    server = s;
    const vacated = (channel: string) =>
      events.filter((e) => e.name === "channel_vacated" && e.channel === channel).length;
    const tasksLeft = async () =>
      (
        await s.app.store.db
          .selectFrom("scheduled_tasks")
          .select("key")
          .where("key", "like", "pusher-vacated:%")
          .execute()
      ).length;
    const reapNotice = (channel: string, hold: string) =>
      s.app.broker.broadcast({
        kind: "leave",
        channel: `pusher.index/${APP.id}`,
        member: { user: channel, role: "customer", name: hold },
      });

    await reapNotice("orders", "hold-1");
    await until(() => vacated("orders") === 1, 60_000);
    await until(async () => (await tasksLeft()) === 0, 60_000);

    // the same reap, heard by a late node after the task ran and its row was deleted
    await reapNotice("orders", "hold-1");
    await until(async () => (await tasksLeft()) === 1, 60_000);
    await until(async () => (await tasksLeft()) === 0, 60_000);

    // webhooks of one app and URL are delivered in order: once another channel's vacancy has
    // arrived, a second webhook of hold-1 would have arrived before it
    await reapNotice("sentinel", "hold-9");
    await until(() => vacated("sentinel") === 1, 60_000);
    expect(vacated("orders")).toBe(1);

    // a new vacancy of the channel (another hold died) is sent
    await reapNotice("orders", "hold-2");
    await until(() => vacated("orders") === 2, 60_000);
  }, 120_000);
});
