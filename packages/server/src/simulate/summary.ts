/** What the simulator did, counted only when the server said yes. */
export interface SimSummary {
  seed: number;
  /** Processes that drove the server (1: this one). */
  workers: number;
  actions: number;
  failed: number;
  browsed: number;
  /** Distinct customers who viewed a product page (a presence on `product:{sku}`). */
  viewers: number;
  orders: number;
  /** Orders that reached `paid` (their amount is in `revenue`). */
  ordersPaid: number;
  ordersAdvanced: number;
  ordersCompleted: number;
  reservations: number;
  released: number;
  sales: number;
  /** Minor units per currency of what was sold and of orders paid. */
  revenue: Record<string, number>;
  bookings: number;
  chats: number;
  ratings: number;
  ratingSum: number;
  /** Customers who did anything that counts as activity (viewing a product page aside). */
  customers: number;
  /** Customers who did anything or viewed a product page (presence counts them active too). */
  customersOrViewers: number;
  /** Why actions failed (the server's answer, ids stripped) and how often. */
  refusals: Record<string, number>;
}

export function emptySummary(seed: number): SimSummary {
  return {
    seed,
    workers: 1,
    actions: 0,
    failed: 0,
    browsed: 0,
    viewers: 0,
    orders: 0,
    ordersPaid: 0,
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
    customersOrViewers: 0,
    refusals: {},
  };
}

type Counter = Exclude<
  keyof SimSummary,
  "seed" | "workers" | "revenue" | "customers" | "customersOrViewers" | "viewers" | "refusals"
>;
const COUNTERS: Counter[] = [
  "actions",
  "failed",
  "browsed",
  "orders",
  "ordersPaid",
  "ordersAdvanced",
  "ordersCompleted",
  "reservations",
  "released",
  "sales",
  "bookings",
  "chats",
  "ratings",
  "ratingSum",
];

/**
 * Adds the workers' summaries. Distinct customers and viewers are unions of the workers' sets
 * (workers draw customers from disjoint pools, but the union is taken anyway).
 */
export function mergeSummaries(
  seed: number,
  parts: { summary: SimSummary; customers: readonly string[]; viewers: readonly string[] }[],
): SimSummary {
  const out = emptySummary(seed);
  out.workers = parts.length;
  const customers = new Set<string>();
  const viewers = new Set<string>();
  for (const { summary, customers: c, viewers: v } of parts) {
    for (const k of COUNTERS) out[k] += summary[k];
    for (const [cur, minor] of Object.entries(summary.revenue))
      out.revenue[cur] = (out.revenue[cur] ?? 0) + minor;
    for (const [why, n] of Object.entries(summary.refusals ?? {}))
      out.refusals[why] = (out.refusals[why] ?? 0) + n;
    for (const id of c) customers.add(id);
    for (const id of v) viewers.add(id);
  }
  out.customers = customers.size;
  out.viewers = viewers.size;
  out.customersOrViewers = new Set([...customers, ...viewers]).size;
  return out;
}

/** A failure's reason as a short key: ids and numbers out, so alike failures add up. */
export function refusalKey(error: unknown): string {
  // fetch says only "fetch failed": the cause (ECONNRESET, a connect timeout…) is the reason
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string }) : undefined;
  const text = `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? cause.message ?? ""})` : ""}`;
  return text
    .replace(/[0-9A-HJKMNP-TV-Z]{26}/g, "{id}")
    .replace(/\/[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*/g, "/{id}")
    .slice(0, 120);
}
