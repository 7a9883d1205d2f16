import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { mintToken } from "../../auth/tokens.js";
import { type ServerProcess, startServerProcess } from "../../test-support/process.js";
import { restCall } from "../../test-support/rest.js";
import { MODULES, waitFor } from "./test-helpers.js";

/**
 * A bulk send to 1,000 users (in-app and SMS) with the server killed by SIGKILL in the middle of
 * a batch's transaction (crash point `notifications.mid-send`, past half of the recipients).
 * After a restart every user has exactly one notification and one SMS delivery, each SMS
 * delivery is sent, and every SMS that reached the provider for a user carries the same
 * delivery id (a repeat after the kill, if any, is recognisable as one).
 */
describe("a bulk send survives kill -9", () => {
  const secret = randomBytes(32).toString("hex");
  const apiKey = `sb_test_${randomBytes(16).toString("hex")}`;
  const processes: ServerProcess[] = [];
  let dataDir = "";
  let sms: Server | undefined;

  afterEach(async () => {
    for (const p of processes.splice(0)) {
      p.kill("SIGKILL");
      await p.exited;
    }
    await new Promise((r) => (sms ? sms.close(r) : r(undefined)));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("leaves each of 1,000 users exactly one notification per channel", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchboard-crash-"));
    const received = new Map<string, Set<string>>(); // phone → delivery ids
    sms = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const { to, deliveryId } = JSON.parse(body) as { to: string; deliveryId: string };
        const ids = received.get(to) ?? new Set<string>();
        ids.add(deliveryId);
        received.set(to, ids);
        res.end();
      });
    });
    await new Promise<void>((r) => sms?.listen(0, "127.0.0.1", r));
    const smsUrl = `http://127.0.0.1:${(sms.address() as AddressInfo).port}/sms`;
    const start = async (crashAt?: string) => {
      const p = await startServerProcess({
        NODE_ENV: "test",
        SWITCHBOARD_DATA_DIR: dataDir,
        SWITCHBOARD_JWT_SECRET: secret,
        SWITCHBOARD_API_KEY: apiKey,
        SWITCHBOARD_MODULES: MODULES,
        SWITCHBOARD_NOTIFICATIONS_SMS_WEBHOOK_URL: smsUrl,
        SWITCHBOARD_NOTIFICATIONS_WORKER_INTERVAL_MS: "200",
        ...(crashAt && { SWITCHBOARD_CRASH_POINTS: crashAt }),
      });
      processes.push(p);
      return { url: p.url, apiKey, process: p };
    };

    const users = Array.from({ length: 1000 }, (_, i) => `user${String(i).padStart(4, "0")}`);
    const phoneOf = (i: number) => `+1555${String(i).padStart(7, "0")}`;
    const first = await start("notifications.mid-send");
    // everyone has a phone (in parallel, 25 at a time)
    for (let i = 0; i < users.length; i += 25)
      await Promise.all(
        users.slice(i, i + 25).map((u, j) =>
          restCall(first, "PUT", `/api/notifications/contacts/${u}`, {
            body: { phone: phoneOf(i + j) },
          }),
        ),
      );
    const accepted = await restCall(first, "POST", "/api/notifications", {
      body: {
        userIds: users,
        type: "message",
        channels: ["in_app", "sms"],
        data: { title: "Sale" },
      },
    });
    expect(accepted.status).toBe(202);
    expect((await first.process.exited).signal).toBe("SIGKILL");

    // What the kill left: some batches committed, the one in flight did not.
    const db = () => new SQLite(join(dataDir, "switchboard.db"), { readonly: true });
    const before = db();
    const made = (before.prepare("select count(*) as n from notifications").get() as { n: number })
      .n;
    before.close();
    expect(made).toBeGreaterThanOrEqual(400); // the batch reaching half was cut
    expect(made).toBeLessThan(1000);

    const second = await start();
    await waitFor(
      "the send to finish and every SMS to be sent",
      async () => {
        const status = await restCall(
          second,
          "GET",
          `/api/notifications/sends/${accepted.body.id}`,
        );
        if (status.body.status !== "done") return false;
        const check = db();
        try {
          const open = check
            .prepare("select count(*) as n from notification_deliveries where status <> 'sent'")
            .get() as { n: number };
          return open.n === 0;
        } finally {
          check.close();
        }
      },
      120_000,
    );
    const after = db();
    try {
      const perUser = after
        .prepare("select user_id, count(*) as n from notifications group by user_id")
        .all() as { user_id: string; n: number }[];
      expect(perUser).toHaveLength(1000);
      expect(perUser.filter((r) => r.n !== 1)).toEqual([]);
      const deliveries = after
        .prepare("select user_id, count(*) as n from notification_deliveries group by user_id")
        .all() as { n: number }[];
      expect(deliveries).toHaveLength(1000);
      expect(deliveries.filter((r) => r.n !== 1)).toEqual([]);
    } finally {
      after.close();
    }
    expect(received.size).toBe(1000);
    expect([...received.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    // the inbox of a user from the batch the kill cut short, as that user sees it
    const inbox = await restCall(second, "GET", "/api/notifications", {
      token: await mintToken(secret, { sub: "user0999" }),
    });
    expect(inbox.body).toMatchObject({ unreadCount: 1, items: [{ title: "Sale" }] });
  }, 600_000);
});
