import type { Call } from "./http.js";
import { SimSocket } from "./socket.js";

/** The simulated shop: priced items, two chairs open around the clock, two agents on shift. */
export const ITEMS = [
  { sku: "SIM-CUT-GEL", name: "Styling gel", amount: 1500 },
  { sku: "SIM-BEARD-OIL", name: "Beard oil", amount: 2500 },
  { sku: "SIM-COMB", name: "Comb", amount: 900 },
  { sku: "SIM-CLIPPER", name: "Clipper", amount: 4500 },
] as const;
export const CURRENCY = "USD";
export const CHAIRS = ["sim-chair-1", "sim-chair-2"] as const;
export const AGENTS = ["sim-agent-1", "sim-agent-2"] as const;

/**
 * Sets the shop up (idempotent PUTs) and brings the agents online over sockets that stay open
 * until the caller closes them: routing only gives chats to connected agents.
 */
export async function openShop(
  call: Call,
  tokenOf: (sub: string, role: "customer" | "agent") => Promise<string>,
  wsUrl: string,
): Promise<SimSocket[]> {
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
  await call("PUT", "/api/appointments/services/sim-cut", { name: "Haircut", durationMinutes: 30 });
  for (const chair of CHAIRS)
    await call("PUT", `/api/appointments/resources/${chair}`, {
      name: chair,
      timeZone: "UTC",
      services: ["sim-cut"],
      hours: week,
    });
  const sockets: SimSocket[] = [];
  try {
    for (const agent of AGENTS) {
      const t = await tokenOf(agent, "agent");
      const s = await SimSocket.connect(wsUrl, t);
      sockets.push(s);
      await s.subscribe("staff:chat");
      await call("PUT", "/api/chat/agents/me", { status: "online", capacity: 100, skills: [] }, t);
    }
  } catch (error) {
    for (const s of sockets) s.close();
    throw error;
  }
  return sockets;
}
