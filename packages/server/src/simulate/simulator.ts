import { seeded, weighted } from "./random.js";
import { SimSocket } from "./socket.js";

export interface SimulateOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey: string;
  /** Mints a token for a simulated customer or agent (the server's secret). */
  token(sub: string, role: "customer" | "agent"): Promise<string>;
  minutes: number;
  /** Actions started per second. */
  rate: number;
  seed: number;
  /** Most actions in flight at once (a slow server is not buried). */
  maxInFlight?: number;
  onProgress?(p: {
    elapsedMs: number;
    totalMs: number;
    started: number;
    summary: SimSummary;
  }): void;
  /** Each order as the server accepted it (benchmarks time what follows from it). */
  onOrder?(id: string, at: number): void;
}

/** What the simulator did, counted only when the server said yes. */
export interface SimSummary {
  seed: number;
  actions: number;
  failed: number;
  browsed: number;
  orders: number;
  ordersAdvanced: number;
  ordersCompleted: number;
  reservations: number;
  released: number;
  sales: number;
  /** Minor units per currency of what was sold. */
  revenue: Record<string, number>;
  bookings: number;
  chats: number;
  ratings: number;
  ratingSum: number;
  /** Customers who did anything that counts as activity. */
  customers: number;
}

const ITEMS = [
  { sku: "SIM-CUT-GEL", name: "Styling gel", amount: 1500 },
  { sku: "SIM-BEARD-OIL", name: "Beard oil", amount: 2500 },
  { sku: "SIM-COMB", name: "Comb", amount: 900 },
  { sku: "SIM-CLIPPER", name: "Clipper", amount: 4500 },
];
const CURRENCY = "USD";
const CHAIRS = ["sim-chair-1", "sim-chair-2"];
const AGENTS = ["sim-agent-1", "sim-agent-2"];
const WEIGHTS = { browse: 25, order: 15, buy: 20, book: 12, chat: 14, advance: 14 };

class Refused extends Error {}

/**
 * A day at a barbershop-and-store, through the real REST and socket APIs: customers browse
 * (viewing product channels), order, reserve and buy, book chairs, chat and rate; agents stay
 * connected and answer; staff move orders along. Actions start at `rate` per second for
 * `minutes` (seeded: the same seed, the same mix), and the summary counts only what the server
 * accepted — the dashboard must show exactly that.
 */
export async function simulate(o: SimulateOptions): Promise<SimSummary> {
  const random = seeded(o.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const wsUrl = `${o.url.replace(/^http/, "ws")}/ws`;
  const summary: SimSummary = {
    seed: o.seed,
    actions: 0,
    failed: 0,
    browsed: 0,
    orders: 0,
    ordersAdvanced: 0,
    ordersCompleted: 0,
    reservations: 0,
    released: 0,
    sales: 0,
    revenue: {},
    bookings: 0,
    chats: 0,
    ratings: 0,
    ratingSum: 0,
    customers: 0,
  };
  const active = new Set<string>();
  const seen = (customer: string) => {
    active.add(customer);
    summary.customers = active.size;
  };
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (sub: string, role: "customer" | "agent") => {
    const known = tokens.get(sub);
    if (known) return known;
    const made = o.token(sub, role);
    tokens.set(sub, made);
    return made;
  };

  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    as?: string,
  ): Promise<T> {
    const res = await fetch(`${o.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as ?? o.apiKey}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Refused(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  const sockets: SimSocket[] = [];
  try {
    return await run(sockets);
  } finally {
    for (const s of sockets) s.close();
  }

  async function run(sockets: SimSocket[]): Promise<SimSummary> {
    // the shop: items with prices, two chairs open around the clock, two agents on shift
    const week = Object.fromEntries(
      ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
    );
    for (const item of ITEMS) {
      await call("PUT", `/api/pricing/prices/${item.sku}`, {
        amount: item.amount,
        currency: CURRENCY,
      });
      await call("PUT", `/api/inventory/items/${item.sku}`, { onHand: 1_000_000, name: item.name });
    }
    await call("PUT", "/api/appointments/services/sim-cut", {
      name: "Haircut",
      durationMinutes: 30,
    });
    for (const chair of CHAIRS)
      await call("PUT", `/api/appointments/resources/${chair}`, {
        name: chair,
        timeZone: "UTC",
        services: ["sim-cut"],
        hours: week,
      });
    for (const agent of AGENTS) {
      const t = await tokenOf(agent, "agent");
      const s = await SimSocket.connect(wsUrl, t);
      sockets.push(s);
      await s.subscribe("staff:chat");
      await call("PUT", "/api/chat/agents/me", { status: "online", capacity: 100, skills: [] }, t);
    }

    const orders: { id: string; done: boolean }[] = [];
    const customer = () => `sim-c${Math.floor(random() * 40)}`;

    const ACTIONS: Record<keyof typeof WEIGHTS, () => Promise<void>> = {
      async browse() {
        const who = customer();
        const s = await SimSocket.connect(wsUrl, await tokenOf(who, "customer"));
        try {
          const item = pick(ITEMS);
          await s.subscribe(`product:${item.sku}`); // a viewer, counted by presence
          await call(
            "GET",
            `/api/inventory/items/${item.sku}`,
            undefined,
            await tokenOf(who, "customer"),
          );
          summary.browsed++;
        } finally {
          s.close();
        }
      },
      async order() {
        const who = customer();
        const made = await call<{ id: string }>("POST", "/api/orders", {
          lifecycle: "store-order",
          customerId: who,
          title: `${pick(ITEMS).name} order`,
        });
        summary.orders++;
        o.onOrder?.(made.id, Date.now());
        seen(who);
        orders.push({ id: made.id, done: false });
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
          const start = new Date(day.getTime() + Math.floor(random() * 96) * 15 * 60_000);
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
          else await new Promise((r) => setTimeout(r, 100));
        }
        if (!agent) {
          await call("POST", `/api/chat/conversations/${conv.id}/resolve`, {}, t);
          throw new Refused("no agent took the chat in 10 s");
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
        const current = await call<{ status: string; allowed: { to: string }[] }>(
          "GET",
          `/api/orders/${target.id}`,
        );
        const next = current.allowed.find((a) => a.to !== "cancelled" && a.to !== "refunded");
        if (!next) {
          target.done = true;
          return;
        }
        const moved = await call<{ status: string }>(
          "POST",
          `/api/orders/${target.id}/transitions`,
          {
            to: next.to,
          },
        );
        summary.ordersAdvanced++;
        if (moved.status === "delivered" || moved.status === "completed") {
          summary.ordersCompleted++;
          target.done = true;
        }
      },
    };

    const totalMs = o.minutes * 60_000;
    const began = Date.now();
    const inFlight = new Set<Promise<void>>();
    const limit = o.maxInFlight ?? 200;
    let started = 0;
    while (Date.now() - began < totalMs) {
      const due = Math.floor(((Date.now() - began) / 1000) * o.rate);
      while (started < due && inFlight.size < limit) {
        started++;
        const kind = weighted(random, WEIGHTS);
        const run = ACTIONS[kind]()
          .then(() => {
            summary.actions++;
          })
          .catch(() => {
            summary.failed++;
          })
          .finally(() => inFlight.delete(run));
        inFlight.add(run);
      }
      o.onProgress?.({ elapsedMs: Date.now() - began, totalMs, started, summary });
      await new Promise((r) => setTimeout(r, Math.max(5, Math.min(100, 1000 / o.rate))));
    }
    await Promise.all(inFlight);
    o.onProgress?.({ elapsedMs: totalMs, totalMs, started, summary });
    return summary;
  }
}
