import type { RpcRegistry } from "../../gateway/rpc.js";
import {
  adjustmentBody,
  historyQuery,
  itemParams,
  listItemsQuery,
  listReservationsQuery,
  putItemBody,
  reservationParams,
  reserveBody,
  watchFields,
} from "./schema.js";
import type { InventoryService } from "./service.js";

/** The same service over the socket: `{type: "rpc", method: "inventory.reserve", params: {sku, quantity}}`. */
export function registerInventoryRpc(rpc: RpcRegistry, service: InventoryService): void {
  const { items, reservations } = service;
  const watchParams = itemParams.extend({ customerId: watchFields.shape.customerId });
  rpc.register("inventory.get", {
    params: itemParams,
    handler: (p, ctx) => items.get(p.sku, ctx.identity),
  });
  rpc.register("inventory.viewers", { params: itemParams, handler: (p) => items.viewers(p.sku) });
  rpc.register("inventory.list", {
    params: listItemsQuery,
    handler: (p, ctx) => items.list(ctx.identity, p),
  });
  rpc.register("inventory.set", {
    params: putItemBody.extend(itemParams.shape),
    handler: async ({ sku, ...input }, ctx) => (await items.put(ctx.identity, sku, input)).item,
  });
  rpc.register("inventory.adjust", {
    params: adjustmentBody.extend(itemParams.shape),
    handler: ({ sku, ...input }, ctx) => items.adjust(ctx.identity, sku, input),
  });
  rpc.register("inventory.history", {
    params: historyQuery.extend(itemParams.shape),
    handler: ({ sku, ...query }, ctx) => items.history(ctx.identity, sku, query),
  });
  rpc.register("inventory.watch", {
    params: watchParams,
    handler: ({ sku, ...input }, ctx) => items.watch(ctx.identity, sku, input, true),
  });
  rpc.register("inventory.unwatch", {
    params: watchParams,
    handler: ({ sku, ...input }, ctx) => items.watch(ctx.identity, sku, input, false),
  });
  rpc.register("inventory.reserve", {
    params: reserveBody,
    handler: (p, ctx) => reservations.reserve(ctx.identity, p),
  });
  rpc.register("inventory.reservation", {
    params: reservationParams,
    handler: (p, ctx) => reservations.get(ctx.identity, p.id),
  });
  rpc.register("inventory.reservations", {
    params: listReservationsQuery,
    handler: (p, ctx) => reservations.list(ctx.identity, p),
  });
  rpc.register("inventory.commit", {
    params: reservationParams,
    handler: (p, ctx) => reservations.commit(ctx.identity, p.id),
  });
  rpc.register("inventory.release", {
    params: reservationParams,
    handler: (p, ctx) => reservations.release(ctx.identity, p.id),
  });
}
