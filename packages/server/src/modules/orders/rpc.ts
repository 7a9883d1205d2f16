import type { RpcRegistry } from "../../gateway/rpc.js";
import { createOrderBody, listOrdersQuery, orderIdParams, transitionBody } from "./schema.js";
import type { OrdersService } from "./service.js";

/** The same service over the socket: `{type: "rpc", method: "orders.transition", params: {id, to}}`. */
export function registerOrderRpc(rpc: RpcRegistry, service: OrdersService): void {
  rpc.register("orders.create", {
    params: createOrderBody,
    handler: (p, ctx) => service.create(ctx.identity, p),
  });
  rpc.register("orders.get", {
    params: orderIdParams,
    handler: (p, ctx) => service.get(ctx.identity, p.id),
  });
  rpc.register("orders.list", {
    params: listOrdersQuery,
    handler: (p, ctx) => service.list(ctx.identity, p),
  });
  rpc.register("orders.transition", {
    params: transitionBody.extend(orderIdParams.shape),
    handler: ({ id, ...input }, ctx) => service.transition(ctx.identity, id, input),
  });
}
