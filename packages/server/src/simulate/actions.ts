import { type Call, Refused } from "./http.js";
import { seeded, weighted } from "./random.js";
import { AGENTS, CHAIRS, CURRENCY, ITEMS } from "./shop.js";
import { SimSocket } from "./socket.js";
import { emptySummary, refusalKey, type SimSummary } from "./summary.js";

export interface Progress {
  elapsedMs: number;
  totalMs: number;
  started: number;
  summary: SimSummary;
}

export interface ActionsOptions {
  call: Call;
  tokenOf(sub: string, role: "customer" | "agent"): Promise<string>;
  wsUrl: string;
  /** Actions started per second (by this process). */
  rate: number;
  totalMs: number;
  seed: number;
  /** Customer ids are `${pool}${n}`: workers use disjoint pools. */
  pool: string;
  /** Most actions in flight at once (a slow server is not buried). */
  maxInFlight: number;
  /** How long a browsing customer stays on a product page (ms, drawn in [min, max]). */
  viewMs: readonly [number, number];
  onProgress?(p: Progress): void;
  onOrder?(id: string, at: number): void;
}

export interface ActionsResult {
  summary: SimSummary;
  /** The distinct customers counted active, and those who viewed a product. */
  customers: string[];
  viewers: string[];
}

/** Staff move orders forward: never into these side roads. */
const DETOURS = new Set(["cancelled", "refunded", "quote-declined"]);
const REPAIR_PRICE = 6500;

const WEIGHTS = { browse: 25, order: 15, buy: 20, book: 12, chat: 14, advance: 14 };

/**
 * Starts `rate` actions a second for `totalMs` (seeded: the same seed, the same mix) and counts
 * only what the server accepted. One process's share of a simulation.
 */
export async function runActions(o: ActionsOptions): Promise<ActionsResult> {
  const { call, tokenOf } = o;
  const random = seeded(o.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const summary = emptySummary(o.seed);
  const active = new Set<string>();
  const viewers = new Set<string>();
  const either = new Set<string>();
  const seen = (customer: string) => {
    active.add(customer);
    either.add(customer);
    summary.customers = active.size;
    summary.customersOrViewers = either.size;
  };
  const orders: { id: string; done: boolean; amount: number; repair: boolean }[] = [];
  const customer = () => `${o.pool}${Math.floor(random() * 40)}`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // One socket per browsing customer for the whole visit, as the web app keeps one: a product
  // page subscribes its channel and leaves it (not a new connection per page).
  type Visit = { socket: SimSocket; views: Map<string, number> };
  const sockets = new Map<string, Promise<Visit>>();
  /** Forgets a broken socket (if still the customer's): the next page opens another. */
  const drop = (who: string, visit: Visit) => {
    void sockets.get(who)?.then(
      (x) => {
        if (x === visit) sockets.delete(who);
      },
      () => {},
    );
    visit.socket.close();
  };
  const socketOf = async (who: string): Promise<Visit> => {
    let s = sockets.get(who);
    // closed by the server meanwhile (or by a failed unsubscribe): never reuse it
    if (s && !(await s.catch(() => undefined))?.socket.open) {
      if (sockets.get(who) === s) sockets.delete(who);
      s = sockets.get(who);
    }
    if (!s) {
      s = tokenOf(who, "customer").then(async (t) => ({
        socket: await SimSocket.connect(o.wsUrl, t),
        views: new Map<string, number>(),
      }));
      const made = s;
      sockets.set(who, made);
      made.catch(() => {
        if (sockets.get(who) === made) sockets.delete(who);
      });
    }
    return s;
  };

  const ACTIONS: Record<keyof typeof WEIGHTS, () => Promise<void>> = {
    async browse() {
      const who = customer();
      const item = pick(ITEMS);
      const [min, max] = o.viewMs;
      const stay = min + Math.floor(random() * (max - min + 1));
      const s = await socketOf(who);
      const channel = `product:${item.sku}`;
      const views = s.views.get(channel) ?? 0;
      s.views.set(channel, views + 1);
      try {
        if (views === 0)
          await s.socket.subscribe(channel).catch((error: unknown) => {
            drop(who, s);
            throw error;
          });
        viewers.add(who);
        either.add(who);
        summary.viewers = viewers.size;
        summary.customersOrViewers = either.size;
        await call(
          "GET",
          `/api/inventory/items/${item.sku}`,
          undefined,
          await tokenOf(who, "customer"),
        );
        await sleep(stay); // on the page a while
        summary.browsed++;
      } finally {
        const left = (s.views.get(channel) ?? 1) - 1;
        if (left > 0) s.views.set(channel, left);
        else {
          s.views.delete(channel);
          await s.socket.unsubscribe(channel).catch(() => drop(who, s));
        }
      }
    },
    async order() {
      const who = customer();
      const item = pick(ITEMS);
      // a third are repairs (a clipper to fix, priced up front), the rest store orders
      const repair = random() < 1 / 3;
      const amount = repair ? REPAIR_PRICE : (1 + Math.floor(random() * 2)) * item.amount;
      const made = await call<{ id: string }>("POST", "/api/orders", {
        lifecycle: repair ? "repair-booking" : "store-order",
        customerId: who,
        title: repair ? "Clipper repair" : `${item.name} order`,
        amountMinor: amount,
        currency: CURRENCY,
      });
      summary.orders++;
      o.onOrder?.(made.id, Date.now());
      seen(who);
      orders.push({ id: made.id, done: false, amount, repair });
    },
    async buy() {
      const who = customer();
      const item = pick(ITEMS);
      const quantity = 1 + Math.floor(random() * 3);
      const buys = random() < 0.75;
      const r = await call<{ id: string }>("POST", "/api/inventory/reservations", {
        sku: item.sku,
        quantity,
        customerId: who,
      });
      summary.reservations++;
      seen(who);
      if (buys) {
        await call("POST", `/api/inventory/reservations/${r.id}/commit`);
        summary.sales++;
        summary.revenue[CURRENCY] = (summary.revenue[CURRENCY] ?? 0) + quantity * item.amount;
      } else {
        await call("POST", `/api/inventory/reservations/${r.id}/release`);
        summary.released++;
      }
    },
    async book() {
      const who = customer();
      for (let attempt = 0; attempt < 5; attempt++) {
        const day = new Date(Date.now() + (1 + Math.floor(random() * 60)) * 86_400_000);
        day.setUTCHours(0, 0, 0, 0);
        const start = new Date(day.getTime() + Math.floor(random() * 95) * 15 * 60_000);
        let hold: { id: string };
        try {
          hold = await call("POST", "/api/appointments/holds", {
            service: "sim-cut",
            start: start.toISOString(),
            resourceId: pick(CHAIRS),
            customerId: who,
          });
        } catch (e) {
          if (e instanceof Refused && e.message.includes(" 409 ")) continue; // taken: another time
          throw e;
        }
        await call("POST", `/api/appointments/holds/${hold.id}/confirm`);
        summary.bookings++;
        seen(who);
        return;
      }
      throw new Refused("no free slot found in 5 tries");
    },
    async chat() {
      const who = customer();
      const t = await tokenOf(who, "customer");
      const conv = await call<{ id: string }>(
        "POST",
        "/api/chat/conversations",
        { subject: "A question" },
        t,
      );
      let agent: string | undefined;
      for (let i = 0; i < 100 && !agent; i++) {
        const c = await call<{ status: string; agentId?: string }>(
          "GET",
          `/api/chat/conversations/${conv.id}`,
          undefined,
          t,
        );
        if (c.status === "active" && c.agentId) agent = c.agentId;
        else await sleep(100 + Math.floor(random() * 100));
      }
      if (!agent || !(AGENTS as readonly string[]).includes(agent)) {
        await call("POST", `/api/chat/conversations/${conv.id}/resolve`, {}, t);
        throw new Refused("no simulated agent took the chat in 10 s");
      }
      summary.chats++;
      seen(who);
      await call(
        "POST",
        `/api/chat/conversations/${conv.id}/messages`,
        { text: "Happy to help!" },
        await tokenOf(agent, "agent"),
      );
      const rating = weighted(random, { 5: 50, 4: 25, 3: 12, 2: 6, 1: 7 });
      await call(
        "POST",
        `/api/chat/conversations/${conv.id}/resolve`,
        { rating: Number(rating) },
        t,
      );
      summary.ratings++;
      summary.ratingSum += Number(rating);
    },
    async advance() {
      const open = orders.filter((x) => !x.done);
      if (open.length === 0) return ACTIONS.order();
      const target = pick(open);
      target.done = true; // one move at a time per order: another advance picks another order
      const current = await call<{ status: string; allowed: { to: string }[] }>(
        "GET",
        `/api/orders/${target.id}`,
      );
      const next = current.allowed.find((a) => !DETOURS.has(a.to));
      if (!next) return;
      const moved = await call<{ status: string }>("POST", `/api/orders/${target.id}/transitions`, {
        to: next.to,
      });
      summary.ordersAdvanced++;
      // a store order's price counts when paid; a repair's (no `paid` state) when completed
      if (moved.status === "paid" || (target.repair && moved.status === "completed")) {
        summary.ordersPaid++;
        summary.revenue[CURRENCY] = (summary.revenue[CURRENCY] ?? 0) + target.amount;
      }
      if (moved.status === "delivered" || moved.status === "completed") summary.ordersCompleted++;
      else target.done = false;
    },
  };

  const began = Date.now();
  const inFlight = new Set<Promise<void>>();
  let started = 0;
  while (Date.now() - began < o.totalMs) {
    const due = Math.floor(((Date.now() - began) / 1000) * o.rate);
    while (started < due && inFlight.size < o.maxInFlight) {
      started++;
      const kind = weighted(random, WEIGHTS);
      const run = ACTIONS[kind]()
        .then(() => {
          summary.actions++;
        })
        .catch((error: unknown) => {
          summary.failed++;
          const why = `${kind}: ${refusalKey(error)}`;
          summary.refusals[why] = (summary.refusals[why] ?? 0) + 1;
        })
        .finally(() => inFlight.delete(run));
      inFlight.add(run);
    }
    o.onProgress?.({ elapsedMs: Date.now() - began, totalMs: o.totalMs, started, summary });
    await sleep(Math.max(5, Math.min(100, 1000 / o.rate)));
  }
  await Promise.all(inFlight);
  for (const s of sockets.values())
    void s.then(
      (x) => x.socket.close(),
      () => {},
    );
  o.onProgress?.({ elapsedMs: o.totalMs, totalMs: o.totalMs, started, summary });
  return { summary, customers: [...active], viewers: [...viewers] };
}
