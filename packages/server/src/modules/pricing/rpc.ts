import type { RpcRegistry } from "../../gateway/rpc.js";
import type { PriceService } from "./prices.js";
import { quoteBody, serviceSku } from "./schema.js";

/**
 * Quotes over the socket: `{type: "rpc", method: "pricing.quote", params: {sku | service, at?,
 * code?}}` — the same validation, service call and authorization (anyone connected) as
 * `POST /api/pricing/quote`, without an HTTP request per quote.
 */
export function registerPricingRpc(rpc: RpcRegistry, prices: PriceService): void {
  rpc.register("pricing.quote", {
    params: quoteBody,
    handler: ({ sku, service, ...rest }) =>
      prices.quote({ ...rest, sku: sku ?? serviceSku(service as string) }),
  });
}
