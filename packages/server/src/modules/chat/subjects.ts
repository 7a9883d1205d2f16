import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer } from "../../platform/kit/actor.js";
import { findAppointment } from "../appointments/index.js";
import { findInventoryItem } from "../inventory/index.js";
import { findOrder } from "../orders/index.js";
import { findLivePrice, getCatalogProduct } from "../pricing/index.js";
import type { About, ItemContext } from "./contract.js";
import type { ChatDeps } from "./deps.js";
import type { Teams } from "./teams.js";

/**
 * Reads another module's surface; a module that is switched off has no tables, which reads as
 * "no such item" rather than a crash.
 */
async function optional<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v.length > 0 ? v : undefined;

/**
 * What a conversation is about, and who owns it: a product (the catalog product's teamId, else
 * its inventory item's), an order (its details' `teamId`, else the
 * team of its item `sku`), an appointment (the team owning its resource).
 */
export function createSubjects(deps: ChatDeps, teams: Teams) {
  const { db } = deps;

  async function product(sku: string): Promise<ItemContext | undefined> {
    // The catalog (pricing) names the product, its team, its price and the item holding its
    // stock; an item only in inventory still has a name, a team and perhaps a price.
    const listed = await optional(() => getCatalogProduct(db, sku));
    const item = await optional(() => findInventoryItem(db, listed?.stockSku ?? sku));
    const price = listed?.price
      ? { amountMinor: listed.price.amount, currency: listed.price.currency }
      : await optional(() => findLivePrice(db, sku));
    if (!listed && !item && !price) return undefined;
    const teamId = listed?.teamId ?? item?.teamId;
    return {
      type: "product",
      id: sku,
      name: listed?.name ?? item?.name ?? sku,
      ...(price && { price }),
      ...(item && {
        stock: { available: item.available, inStock: item.inStock, lowStock: item.lowStock },
      }),
      ...(teamId && { teamId }),
      links: { customer: `/shop/${encodeURIComponent(sku)}`, staff: "/console/inventory" },
      channel: `product:${sku}`,
    };
  }

  async function context(
    about: About,
  ): Promise<(ItemContext & { customerId?: string }) | undefined> {
    if (about.type === "product") return product(about.id);
    if (about.type === "order") {
      const order = await optional(() => findOrder(db, about.id));
      if (!order) return undefined;
      const sku = str(order.details.sku) ?? str(order.details.productId);
      const item = sku ? await product(sku) : undefined;
      const teamId = str(order.details.teamId) ?? item?.teamId;
      return {
        type: "order",
        id: order.id,
        name: order.title ?? item?.name ?? `Order ${order.id}`,
        ...(item?.price && { price: item.price }),
        ...(item?.stock && { stock: item.stock }),
        status: order.status,
        progress: order.progress,
        ...(teamId && { teamId }),
        links: { customer: `/orders/${encodeURIComponent(order.id)}`, staff: "/console/orders" },
        channel: `order:${order.id}`,
        customerId: order.customerId,
      };
    }
    const appointment = await optional(() => findAppointment(db, about.id));
    if (!appointment) return undefined;
    const teamId = await teams.teamOfResource(appointment.resourceId);
    return {
      type: "appointment",
      id: appointment.id,
      name:
        [appointment.serviceName, appointment.resourceName].filter(Boolean).join(" with ") ||
        `Appointment ${appointment.id}`,
      status: appointment.status,
      startsAt: appointment.startsAt,
      ...(teamId && { teamId }),
      links: { customer: "/appointments", staff: "/console/appointments" },
      customerId: appointment.customerId,
    };
  }

  return {
    /**
     * The item for someone opening or reading a conversation: products are public, an order or
     * appointment only to its customer and staff (its status is theirs).
     */
    async resolve(identity: Identity, about: About, customerId: string): Promise<ItemContext> {
      const found = await context(about);
      if (!found) throw new SwitchboardError("not_found", `no ${about.type} ${about.id}`);
      const { customerId: owner, ...view } = found;
      if (owner !== undefined && owner !== customerId && !isStaffOrServer(identity))
        throw new SwitchboardError("forbidden", `that ${about.type} is not yours`);
      return view;
    },
  };
}

export type Subjects = ReturnType<typeof createSubjects>;
