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
 * announces there. Every node hears it and schedules one task per channel under one key (the
 * scheduler runs it once, on one node); the task sends the webhook if the channel is still
 * empty across the cluster by then (a client may have come back on another node).
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
    deps.scheduler.register<{ appId: string; name: string }>(TASK, async (p, d) => {
      const app = deps.apps.find(p.appId);
      if (!app) return;
      const count = await countOf(deps.broker, occupancyOf(pusherChannel(app.id, p.name)));
      if (count === 0)
        await deps.emit(d.transaction, app, [{ name: "channel_vacated", channel: p.name }]);
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
    void this.deps.scheduler
      .schedule(this.deps.db, {
        task: TASK,
        key: `pusher-vacated:${appId}:${name}`,
        runAt: new Date(Date.now() + SETTLE_MS),
        payload: { appId, name },
      })
      .catch((err) => this.deps.logger.warn({ err, appId, name }, "vacancy not scheduled"));
  }
}
