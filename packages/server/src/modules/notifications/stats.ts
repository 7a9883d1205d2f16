import { type Kysely, sql } from "kysely";
import type { Database } from "../../store/schema.js";
import type { NotificationChannel, Stats } from "./contract.js";

/** Sent, delivered, failed, pending and read, by day (UTC), type and channel, over the last `days`. */
export async function stats(db: Kysely<Database>, days: number): Promise<Stats> {
  const since = new Date(Date.now() - days * 86_400_000).toISOString();
  const day = sql<string>`substr(n.created_at, 1, 10)`;
  const inApp = await db
    .selectFrom("notifications as n")
    .select([
      day.as("day"),
      "n.type",
      sql<number>`count(*)`.as("sent"),
      sql<number>`sum(case when n.read_at is null then 0 else 1 end)`.as("read"),
    ])
    .where("n.in_app", "=", 1)
    .where("n.created_at", ">=", since)
    .groupBy([day, "n.type"])
    .execute();
  const outside = await db
    .selectFrom("notification_deliveries as d")
    .innerJoin("notifications as n", "n.id", "d.notification_id")
    .select([
      day.as("day"),
      "n.type",
      "d.channel",
      sql<number>`sum(case when d.attempts > 0 then 1 else 0 end)`.as("sent"),
      sql<number>`sum(case when d.status = 'sent' then 1 else 0 end)`.as("delivered"),
      sql<number>`sum(case when d.status = 'failed' then 1 else 0 end)`.as("failed"),
      sql<number>`sum(case when d.status in ('held', 'pending', 'sending') then 1 else 0 end)`.as(
        "pending",
      ),
    ])
    .where("n.created_at", ">=", since)
    .groupBy([day, "n.type", "d.channel"])
    .execute();
  const rows: Stats["rows"] = [
    ...inApp.map((r) => ({
      day: r.day,
      type: r.type,
      channel: "in_app" as const,
      sent: Number(r.sent),
      // in the inbox and announced on user:{sub} (the outbox publishes what commits)
      delivered: Number(r.sent),
      failed: 0,
      pending: 0,
      read: Number(r.read),
    })),
    ...outside.map((r) => ({
      day: r.day,
      type: r.type,
      channel: r.channel as NotificationChannel,
      sent: Number(r.sent),
      delivered: Number(r.delivered),
      failed: Number(r.failed),
      pending: Number(r.pending),
      read: 0,
    })),
  ];
  rows.sort(
    (a, b) =>
      b.day.localeCompare(a.day) ||
      a.type.localeCompare(b.type) ||
      a.channel.localeCompare(b.channel),
  );
  return { rows };
}
