import { z } from "zod";
import type { Broker } from "../../broker/types.js";
import { BOOKINGS_SIGNAL, type BookingCounts, type BookingScopes } from "./bookings.js";
import type { Rule } from "./contract.js";
import type { PricingDeps } from "./deps.js";
import type { SignalService } from "./signals.js";

/** The job that reads the live signals nobody has to report (viewers, chat queue, staff online). */
export const SAMPLE_JOB = "pricing.sample_signals";
/** At most this many items' viewers are read per sample (bounded work per tick). */
const MAX_VIEWED_ITEMS = 1000;
/** Names of the signals the sampler writes (rules read them like any other signal). */
export const AUTO_SIGNALS = {
  viewers: "viewers",
  chatQueue: "chat_queue",
  staffOnline: "staff_online",
  bookings: BOOKINGS_SIGNAL,
} as const;

/** What pricing reads of chat's `queue` event on staff:chat (its published contract). */
const chatQueue = z.object({
  waiting: z.array(z.unknown()),
  /** Everything waiting, teams' queues included (`waiting` lists only the general queue). */
  total: z.number().int().nonnegative().optional(),
  agents: z.array(z.object({ status: z.string() })),
});

const uses = (rules: Rule[], name: string) =>
  rules.filter((r) => r.enabled && r.when.some((c) => c.kind === "signal" && c.name === name));

/**
 * Samples live signals from what the platform already knows, on one node (a job):
 * - `viewers` per item: the presence count of product:{sku} (the shoppers on its page), for the
 *   items a rule on `viewers` can touch;
 * - `chat_queue` and `staff_online` (global): from chat's latest `queue` event on staff:chat
 *   (conversations waiting; agents online or busy), when chat runs;
 * - `bookings_next_hours` (global): confirmed appointments starting within the configured hours
 *   (bookings.ts, a read-only count), when appointments run, and per service / resource a rule
 *   names (`bookings_next_hours@service:{id}`, `…@resource:{id}`) — also at once after an
 *   appointment event (index.ts), since the sample alone would lag a booking by up to a tick.
 * A value that did not move writes nothing; one that did reprices what it touches (signals.ts).
 */
export function createSignalSampler(
  deps: Pick<PricingDeps, "db" | "namespaces">,
  broker: Pick<Broker, "presenceCount" | "history">,
  signals: SignalService,
  rules: () => Promise<Rule[]>,
  countBookings: (scopes: BookingScopes) => Promise<BookingCounts | undefined> = async () =>
    undefined,
) {
  async function viewers(rs: Rule[]): Promise<number> {
    const watching = uses(rs, AUTO_SIGNALS.viewers);
    if (watching.length === 0 || !deps.namespaces.get("product")) return 0;
    let skus: string[];
    if (watching.some((r) => !r.skus)) {
      const rows = await deps.db
        .selectFrom("pricing_prices")
        .select("sku")
        .orderBy("sku")
        .limit(MAX_VIEWED_ITEMS)
        .execute();
      skus = rows.map((r) => r.sku);
    } else skus = [...new Set(watching.flatMap((r) => r.skus ?? []))].slice(0, MAX_VIEWED_ITEMS);
    let moved = 0;
    for (const sku of skus) {
      const count = await broker.presenceCount(`product:${sku}`);
      moved += (await signals.auto(AUTO_SIGNALS.viewers, count, sku)).moved;
    }
    return moved;
  }

  async function chat(rs: Rule[]): Promise<number> {
    const staff = deps.namespaces.get("staff");
    if (!staff) return 0;
    if (
      uses(rs, AUTO_SIGNALS.chatQueue).length === 0 &&
      uses(rs, AUTO_SIGNALS.staffOnline).length === 0
    )
      return 0;
    const { publications } = await broker.history(
      "staff:chat",
      { limit: 20 },
      staff.options.history,
    );
    const latest = [...publications].reverse().find((p) => p.event === "queue");
    const parsed = latest ? chatQueue.safeParse(latest.data) : undefined;
    if (!parsed?.success) return 0;
    const online = parsed.data.agents.filter((a) => a.status !== "offline").length;
    return (
      (await signals.auto(AUTO_SIGNALS.chatQueue, parsed.data.total ?? parsed.data.waiting.length))
        .moved + (await signals.auto(AUTO_SIGNALS.staffOnline, online)).moved
    );
  }

  /** The services and resources whose own bookings an enabled rule reads. */
  function bookingScopes(rs: Rule[]): BookingScopes {
    const services = new Set<string>();
    const resources = new Set<string>();
    for (const r of rs)
      if (r.enabled)
        for (const c of r.when)
          if (c.kind === "signal" && c.name === AUTO_SIGNALS.bookings) {
            if (c.service !== undefined) services.add(c.service);
            if (c.resource !== undefined) resources.add(c.resource);
          }
    return { services: [...services], resources: [...resources] };
  }

  async function bookings(rs?: Rule[]): Promise<number> {
    const counts = await countBookings(bookingScopes(rs ?? (await rules())));
    if (counts === undefined) return 0;
    let moved = (await signals.auto(AUTO_SIGNALS.bookings, counts.total)).moved;
    for (const [name, n] of counts.scoped) moved += (await signals.auto(name, n)).moved;
    return moved;
  }

  return {
    /** One sample of every automatic signal; returns how many live prices moved. */
    async sample(): Promise<number> {
      const rs = await rules();
      return (await viewers(rs)) + (await chat(rs)) + (await bookings(rs));
    },
    /** Only the bookings counts (after an appointment event). */
    bookings: () => bookings(),
  };
}
