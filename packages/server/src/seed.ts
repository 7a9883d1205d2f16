import type { Config } from "./config.js";

/** Demo data for a fresh server: a few products and a couple of orders for "alice". */
const PRODUCTS = [
  { sku: "SCR-IP14", name: "iPhone 14 screen replacement", onHand: 3, lowStockThreshold: 2 },
  { sku: "BAT-PX7", name: "Pixel 7 battery", onHand: 8, lowStockThreshold: 3 },
  { sku: "CASE-CLR", name: "Clear phone case", onHand: 25, lowStockThreshold: 5 },
  { sku: "CHG-USBC", name: "USB-C fast charger", onHand: 1, lowStockThreshold: 2 },
];

const ORDERS = [
  {
    lifecycle: "repair-booking",
    customerId: "alice",
    title: "iPhone 14 — cracked screen",
    details: { device: "iPhone 14", issue: "cracked screen" },
  },
  {
    lifecycle: "store-order",
    customerId: "alice",
    title: "USB-C fast charger",
    details: { items: [{ sku: "CHG-USBC", quantity: 1 }] },
  },
];

/**
 * Fills a running server with demo data through its own REST API (so it works against any
 * node of a cluster). Safe to run twice: products are set, not added; orders only if alice has none.
 */
export async function seedDemo(
  config: Config,
  apiKey: string,
  log: (line: string) => void,
): Promise<void> {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const base = `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { items?: unknown[] };
  };
  for (const p of PRODUCTS) {
    await call("PUT", `/api/inventory/items/${p.sku}`, {
      onHand: p.onHand,
      lowStockThreshold: p.lowStockThreshold,
      name: p.name,
    });
    log(`product ${p.sku}: ${p.name} (${p.onHand} in stock)`);
  }
  const existing = await call("GET", "/api/orders?customerId=alice&limit=1");
  if (existing.items?.length) {
    log("orders: alice already has some; none added");
    return;
  }
  for (const o of ORDERS) {
    await call("POST", "/api/orders", o);
    log(`order for ${o.customerId}: ${o.title}`);
  }
}
