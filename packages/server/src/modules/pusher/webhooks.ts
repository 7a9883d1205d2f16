import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { ModuleEvents } from "../../platform/durable/types.js";
import type { Database } from "../../store/schema.js";
import type { PusherApps } from "./apps.js";
import { sign } from "./auth.js";
import type { PusherApp, PusherSettings } from "./config.js";
import type { WebhookEvent } from "./contract.js";

/** The durable event a webhook batch travels as: one per app and URL, its body fixed. */
export const WEBHOOK_EVENT = "pusher.webhook";
const HANDLER = "pusher.deliver";
/** Events of one app gathered this long on a node go in one request (as Pusher batches them). */
const BATCH_MS = 100;
const MAX_BATCH = 50;
const TIMEOUT_MS = 5000;

interface WebhookPayload {
  appId: string;
  url: string;
  body: string;
}

/**
 * Pusher webhooks (to the app's URLs, else SWITCHBOARD_PUSHER_WEBHOOK_URLS; the events in the
 * app's list, else SWITCHBOARD_PUSHER_WEBHOOK_EVENTS): events are gathered per app for a moment,
 * then each batch is written as a
 * durable domain event per URL (so it survives a crash and is retried with backoff on any node
 * until the receiver answers 2xx, then parked as a dead letter after the configured attempts).
 * Each request carries `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the body with the
 * app's secret), which the `pusher` SDKs' webhook helpers check.
 */
export class PusherWebhooks {
  private readonly pending = new Map<PusherApp, WebhookEvent[]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      settings: PusherSettings;
      db: Kysely<Database>;
      events: ModuleEvents;
      logger: Logger;
      apps: PusherApps;
    },
  ) {
    deps.events.on<WebhookPayload>(
      WEBHOOK_EVENT,
      HANDLER,
      async (event) => this.deliver(event.payload),
      { maxAttempts: deps.settings.webhookMaxAttempts },
    );
  }

  /** Queues one event (called from the socket paths; never throws). */
  readonly add = (app: PusherApp, event: WebhookEvent): void => {
    if (app.webhookUrls.length === 0 || !app.webhookEvents.includes(event.name)) return;
    const list = this.pending.get(app) ?? [];
    list.push(event);
    this.pending.set(app, list);
    if (list.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  };

  /** Writes what is gathered as durable events (also at shutdown). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending];
    this.pending.clear();
    if (batches.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.deps.db.transaction().execute(async (trx) => {
          for (const [app, events] of batches) await this.emitIn(trx, app, events);
        });
      } catch (err) {
        this.deps.logger.error({ err }, "pusher webhooks could not be queued");
      }
    });
    return this.flushing;
  }

  /** Writes one batch as a durable event per URL in `trx` (a task's webhooks commit with it). */
  readonly emitIn = async (
    trx: Transaction<Database>,
    app: PusherApp,
    events: WebhookEvent[],
  ): Promise<void> => {
    const wanted = events.filter((e) => app.webhookEvents.includes(e.name));
    if (wanted.length === 0) return;
    const body = JSON.stringify({ time_ms: Date.now(), events: wanted });
    for (const url of app.webhookUrls)
      await this.deps.events.emit(trx, {
        type: WEBHOOK_EVENT,
        aggregate: `pusher-webhook:${app.id}:${url}`,
        payload: { appId: app.id, url, body } satisfies WebhookPayload,
      });
  };

  /** One attempt: a non-2xx answer or no answer throws, so the platform retries it. */
  private async deliver(p: WebhookPayload): Promise<void> {
    const app = this.deps.apps.find(p.appId);
    if (!app) return; // the app was removed: nothing to sign with
    const res = await fetch(p.url, {
      method: "POST",
      body: p.body,
      headers: {
        "content-type": "application/json",
        "x-pusher-key": app.key,
        "x-pusher-signature": sign(app.secret, p.body),
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "manual",
    });
    await res.body?.cancel().catch(() => {});
    if (res.status < 200 || res.status >= 300)
      throw new Error(`webhook receiver answered ${res.status}`);
  }
}
