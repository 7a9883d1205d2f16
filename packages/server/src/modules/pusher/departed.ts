import type { Member } from "@switchboard/protocol";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Broker, BrokerEvent } from "../../broker/types.js";
import type { Database } from "../../store/schema.js";
import type { PusherApps } from "./apps.js";
import { listedOf, membersOf } from "./channels.js";
import type { WebhookEvent } from "./contract.js";
import type { WebhookEmitter } from "./vacated.js";

/** Reaps are heard by every node at once: what arrives within this window goes in one write. */
const BATCH_MS = 100;
const ATTEMPTS = 5;
const RETRY_MS = 1000;
/** Departure keys are kept this long (a reaped subscription's node never comes back later). */
const KEEP_MS = 7 * 24 * 3600 * 1000;

interface Heard {
  appId: string;
  kind: "leave" | "join";
  member: Member;
}

/**
 * `member_removed` for presence members whose last connection died with its node. A live node
 * sends member webhooks itself (channels.ts); a dead one cannot. The survivors reap its entries
 * of each app's presence subscriptions (`pusher.members/{app}`), and the broker announces a
 * `leave` there for each member that had no connection left on any other node — only a reap
 * announces there. Every node hears it; each writes the departure's key (the subscription's
 * nonce) into `pusher_departures` and, in the same transaction, the webhook as a durable event
 * only if its insert won: one webhook per departure however many nodes heard it, retried through
 * the durable pipeline, kept across restarts once committed.
 *
 * A node that was only cut off (reaped while alive) puts its members back when it reconnects;
 * the broker announces that `join` there, and the node that deletes the departure's key sends
 * `member_added`, so the receiver's view follows.
 */
export class DeadNodeMembers {
  private readonly watched = new Set<string>();
  private pending: Heard[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      broker: Broker;
      apps: PusherApps;
      db: Kysely<Database>;
      logger: Logger;
      emit: WebhookEmitter;
    },
  ) {
    deps.broker.onEvent((event) => this.onEvent(event));
    deps.apps.onChange(() => void this.watch());
  }

  /** Listens to every app's presence subscriptions (call at start and when apps change). */
  async watch(): Promise<void> {
    for (const app of this.deps.apps.list()) {
      const channel = membersOf(app.id);
      if (this.watched.has(channel)) continue;
      this.watched.add(channel);
      await this.deps.broker.subscribe(channel).catch((err) => {
        this.watched.delete(channel);
        this.deps.logger.warn({ err, channel }, "pusher presence subscriptions not watched");
      });
    }
  }

  /** Writes what was heard (shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  private onEvent(event: BrokerEvent): void {
    if ((event.kind !== "leave" && event.kind !== "join") || !this.watched.has(event.channel))
      return;
    if (event.member.name === undefined || !listedOf(event.member)) return;
    const appId = event.channel.slice(event.channel.indexOf("/") + 1);
    this.pending.push({ appId, kind: event.kind, member: event.member });
    this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  private async write(batch: Heard[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.writeOnce(batch);
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          // the other survivors heard the same reap and write the same keys
          this.deps.logger.error({ err, count: batch.length }, "pusher departures not recorded");
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS * attempt));
      }
    }
  }

  private async writeOnce(batch: Heard[]): Promise<void> {
    const now = new Date();
    await this.deps.db.transaction().execute(async (trx) => {
      const byApp = new Map<string, WebhookEvent[]>();
      // in the order heard: a reap and a quick return of one subscription are two webhooks
      for (const run of runsOf(batch)) {
        const won = new Set<string>();
        const keys = [...new Set(run.map(keyOf))];
        if (run[0]?.kind === "leave") {
          const rows = await trx
            .insertInto("pusher_departures")
            .values(keys.map((key) => ({ key, created_at: now.toISOString() })))
            .onConflict((oc) => oc.column("key").doNothing())
            .returning("key")
            .execute();
          for (const r of rows) won.add(r.key);
        } else {
          const rows = await trx
            .deleteFrom("pusher_departures")
            .where("key", "in", keys)
            .returning("key")
            .execute();
          for (const r of rows) won.add(r.key);
        }
        for (const h of run) {
          const listed = listedOf(h.member);
          if (!listed || !won.delete(keyOf(h))) continue;
          const list = byApp.get(h.appId) ?? [];
          list.push({
            name: h.kind === "leave" ? "member_removed" : "member_added",
            channel: listed.name,
            user_id: listed.userId,
          });
          byApp.set(h.appId, list);
        }
      }
      for (const [appId, events] of byApp) {
        const app = this.deps.apps.find(appId);
        if (app) await this.deps.emit(trx, app, events);
      }
      await trx
        .deleteFrom("pusher_departures")
        .where("created_at", "<", new Date(now.getTime() - KEEP_MS).toISOString())
        .execute();
    });
  }
}

/** Consecutive events of one kind. */
function runsOf(batch: Heard[]): Heard[][] {
  const runs: Heard[][] = [];
  for (const h of batch) {
    const last = runs.at(-1);
    if (last?.[0]?.kind === h.kind) last.push(h);
    else runs.push([h]);
  }
  return runs;
}

const keyOf = (h: Heard) => `${h.appId}:${h.member.name ?? ""}`;
