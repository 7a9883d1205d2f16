import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../../store/schema.js";
import type { MetricsSettings } from "./config.js";
import { DASHBOARD_OVERVIEW_CHANNEL, OVERVIEW_EVENT } from "./names.js";
import { computeOverview } from "./overview.js";

export interface LiveDeps {
  db: Kysely<Database>;
  settings: MetricsSettings;
  logger: Logger;
  publish(channel: string, event: string, data: unknown): Promise<unknown>;
}

/**
 * Keeps `dashboard:overview` current: today's overview is published at the interval while
 * something changed since the last one, and at once (at most every `liveMinGapMs`) when a
 * headline figure moved. One publish runs at a time; a change during it publishes again after.
 * The namespace keeps history, so a dashboard that reconnects recovers what it missed.
 */
export function createLive({ db, settings, logger, publish }: LiveDeps) {
  let dirty = false;
  let running: Promise<void> | undefined;
  let again = false;
  let lastAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function publishNow(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        dirty = false;
        lastAt = Date.now();
        try {
          const overview = await computeOverview(db, {
            period: "today",
            timeZone: settings.timeZone,
          });
          await publish(DASHBOARD_OVERVIEW_CHANNEL, OVERVIEW_EVENT, overview);
        } catch (err) {
          dirty = true; // the next tick tries again
          logger.warn({ err }, "dashboard overview not published");
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    /** A change committed; `big` publishes it at once (after the least gap). */
    changed(big: boolean): void {
      dirty = true;
      if (!big || stopped || timer) return;
      const wait = Math.max(0, lastAt + settings.liveMinGapMs - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        void publishNow();
      }, wait);
      timer.unref();
    },
    /** The interval's tick (a job): publishes only when something changed. */
    async tick(): Promise<void> {
      if (dirty && !stopped) await publishNow();
    },
    publishNow,
    stop(): void {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

export type Live = ReturnType<typeof createLive>;
