import { z } from "zod";
import { int, withDefault } from "../../platform/kit/env.js";
import { defineModuleConfig } from "../../platform/module-config.js";

export interface PricingSettings {
  /** IANA zone the time-window rules read local time in (the business's). */
  timeZone: string;
  /** Most rules may add / take off, relative to the list price (basis points). */
  maxMarkupBps: number;
  maxDiscountBps: number;
  /** Default most one automatic change may move a live price (basis points of it). */
  maxStepBps: number;
  /** Automatic changes of one item's price at most this often (debounce against flapping). */
  minChangeIntervalMs: number;
  /** How often every price is re-evaluated (time windows open and close without a signal). */
  repriceIntervalMs: number;
  /** How long a price lock holds the shown price. */
  lockTtlSeconds: number;
  /** Tax added to an order quote when staff do not give one (basis points). */
  taxBps: number;
  /** How long an order quote stays valid when staff do not say. */
  quoteValidHours: number;
  /**
   * How old the per-node copy of prices and signals a shopper's quote reads may be (this node's
   * writes drop it at once; another node's show within this). 0: every quote reads the database.
   */
  quoteCacheMs: number;
  /** How often viewers, chat queue, staff online and bookings are sampled into signals (sampler.ts). */
  signalSampleMs: number;
  /** `bookings_next_hours` counts confirmed appointments starting within this many hours. */
  bookingsHours: number;
}

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, "must be an IANA time zone such as Europe/Oslo");

/** The pricing module's section of the configuration (docs/configuration.md, "Pricing"). */
export const pricingConfig = defineModuleConfig(
  z.object({
    SWITCHBOARD_PRICING_TIME_ZONE: withDefault(timeZone, "UTC"),
    SWITCHBOARD_PRICING_MAX_MARKUP_PERCENT: withDefault(int(0, 1000), 50),
    SWITCHBOARD_PRICING_MAX_DISCOUNT_PERCENT: withDefault(int(0, 100), 50),
    SWITCHBOARD_PRICING_MAX_STEP_PERCENT: withDefault(int(1, 1000), 25),
    SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS: withDefault(int(0, 86_400_000), 10_000),
    SWITCHBOARD_PRICING_REPRICE_INTERVAL_MS: withDefault(int(1000, 86_400_000), 30_000),
    SWITCHBOARD_PRICING_LOCK_TTL_SECONDS: withDefault(int(1, 7 * 86_400), 900),
    SWITCHBOARD_PRICING_TAX_PERCENT: withDefault(int(0, 100), 0),
    SWITCHBOARD_PRICING_QUOTE_VALID_HOURS: withDefault(int(1, 24 * 365), 72),
    SWITCHBOARD_PRICING_QUOTE_CACHE_MS: withDefault(int(0, 60_000), 1000),
    SWITCHBOARD_PRICING_SIGNAL_SAMPLE_MS: withDefault(int(200, 3_600_000), 5000),
    SWITCHBOARD_PRICING_BOOKINGS_HOURS: withDefault(int(1, 168), 4),
  }),
  (e): PricingSettings => ({
    timeZone: e.SWITCHBOARD_PRICING_TIME_ZONE,
    maxMarkupBps: e.SWITCHBOARD_PRICING_MAX_MARKUP_PERCENT * 100,
    maxDiscountBps: e.SWITCHBOARD_PRICING_MAX_DISCOUNT_PERCENT * 100,
    maxStepBps: e.SWITCHBOARD_PRICING_MAX_STEP_PERCENT * 100,
    minChangeIntervalMs: e.SWITCHBOARD_PRICING_MIN_CHANGE_INTERVAL_MS,
    repriceIntervalMs: e.SWITCHBOARD_PRICING_REPRICE_INTERVAL_MS,
    lockTtlSeconds: e.SWITCHBOARD_PRICING_LOCK_TTL_SECONDS,
    taxBps: e.SWITCHBOARD_PRICING_TAX_PERCENT * 100,
    quoteValidHours: e.SWITCHBOARD_PRICING_QUOTE_VALID_HOURS,
    quoteCacheMs: e.SWITCHBOARD_PRICING_QUOTE_CACHE_MS,
    signalSampleMs: e.SWITCHBOARD_PRICING_SIGNAL_SAMPLE_MS,
    bookingsHours: e.SWITCHBOARD_PRICING_BOOKINGS_HOURS,
  }),
);
