import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Broker, BrokerEvent } from "../../broker/types.js";
import type { ModuleScheduler } from "../../platform/durable/types.js";
import type { Database } from "../../store/schema.js";
import type { PusherApps } from "./apps.js";
import { channelKind } from "./auth.js";
import { countOf, indexOf, occupancyOf } from "./channels.js";
import type { PusherApp } from "./config.js";
import type { WebhookEvent } from "./contract.js";
import { pusherChannel } from "./names.js";

const TASK = "pusher.vacated";
/** All nodes hear a reap at once; their schedules of one key collapse into one task. */
const SETTLE_MS = 2000;
/** Vacancy keys are kept this long (a late notice of a reap comes within seconds, not days). */
const KEEP_MS = 7 * 24 * 3600 * 1000;

/** Queues webhook events inside a task's transaction (webhooks.ts). */
export type WebhookEmitter = (
  trx: Transaction<Database>,
  app: PusherApp,
  events: WebhookEvent[],
) => Promise<void>;

/**
 * `channel_vacated` for channels whose last subscribers were on a node that died (kill -9, a
 * lost host). Live nodes send it themselves when their last socket leaves; a dead node cannot.
 * When survivors reap a dead node's presence, the broker announces a `leave` on the app's
 * channel index (`pusher.index/{app}`) for each channel no other node holds — only a reap
 * announces there. Every node hears it and schedules one task per vacancy under one key (the
 * scheduler runs it once, on one node); the task sends the webhook if the channel is still
 * empty across the cluster by then (a client may have come back on another node).
 *
 * A finished task's row is gone, so a node that hears the reap after the task ran would run it
 * again: the task also writes the vacancy's key into `pusher_departures` and sends only if that
 * insert won, in the same transaction. The key is the dead node's hold of the channel (the
 * nonce its index entry carries, channels.ts): a later hold that dies is a new vacancy.
 */
export class DeadNodeVacancies {
  private readonly watched = new Set<string>();

  constructor(
    private readonly deps: {
      broker: Broker;
      scheduler: ModuleScheduler;
      apps: PusherApps;
      db: Kysely<Database>;
      logger: Logger;
      emit: WebhookEmitter;
    },
  ) {
    deps.scheduler.register<Vacancy>(TASK, async (p, d) => {
      const app = deps.apps.find(p.appId);
      if (!app) return;
      const count = await countOf(deps.broker, occupancyOf(pusherChannel(app.id, p.name)));
      if (count !== 0) return;
      const now = new Date();
      // a hold without a nonce (a node from before nonces) cannot be told apart: send as before
      const won = !p.hold
        ? true
        : await d.transaction
            .insertInto("pusher_departures")
            .values({ key: vacancyKey(p), created_at: now.toISOString() })
            .onConflict((oc) => oc.column("key").doNothing())
            .returning("key")
            .executeTakeFirst();
      if (won) await deps.emit(d.transaction, app, [{ name: "channel_vacated", channel: p.name }]);
      await d.transaction
        .deleteFrom("pusher_departures")
        .where("created_at", "<", new Date(now.getTime() - KEEP_MS).toISOString())
        .execute();
    });
    deps.broker.onEvent((event) => this.onEvent(event));
    deps.apps.onChange(() => void this.watch());
  }

  /** Listens to every app's channel index (call at start and when apps change). */
  async watch(): Promise<void> {
    for (const app of this.deps.apps.list()) {
      const channel = indexOf(app);
      if (this.watched.has(channel)) continue;
      this.watched.add(channel);
      await this.deps.broker.subscribe(channel).catch((err) => {
        this.watched.delete(channel);
        this.deps.logger.warn({ err, channel }, "pusher channel index not watched");
      });
    }
  }

  private onEvent(event: BrokerEvent): void {
    if (event.kind !== "leave" || !this.watched.has(event.channel)) return;
    const appId = event.channel.slice(event.channel.indexOf("/") + 1);
    const name = event.member.user;
    if (channelKind(name) === "user") return;
    const vacancy: Vacancy = { appId, name, hold: event.member.name ?? "" };
    void this.deps.scheduler
      .schedule(this.deps.db, {
        task: TASK,
        key: `pusher-${vacancyKey(vacancy)}`,
        runAt: new Date(Date.now() + SETTLE_MS),
        payload: vacancy,
      })
      .catch((err) => this.deps.logger.warn({ err, appId, name }, "vacancy not scheduled"));
  }
}

/** A channel whose last hold died: `hold` is that hold's nonce ("" or absent: an older node). */
interface Vacancy {
  appId: string;
  name: string;
  hold?: string;
}

/** Beside departures' keys (`{app}:{nonce}`) in one table: this one starts with "vacated:". */
const vacancyKey = (v: Vacancy) => `vacated:${v.appId}:${v.hold ?? ""}:${v.name}`;
