import { z } from "zod";
import type { RpcRegistry } from "../../gateway/rpc.js";
import { idParams, inboxQuery } from "./schema.js";
import type { NotificationsService } from "./service.js";

/** The inbox over the socket: `notifications.list`, `.read`, `.readAll`, `.archive`. */
export function registerNotificationRpc(rpc: RpcRegistry, service: NotificationsService): void {
  rpc.register("notifications.list", {
    params: inboxQuery,
    handler: (p, ctx) => service.inbox.list(ctx.identity, p),
  });
  rpc.register("notifications.read", {
    params: idParams,
    handler: (p, ctx) => service.inbox.read(ctx.identity, p.id),
  });
  rpc.register("notifications.readAll", {
    params: z.object({}),
    handler: (_p, ctx) => service.inbox.readAll(ctx.identity),
  });
  rpc.register("notifications.archive", {
    params: idParams,
    handler: (p, ctx) => service.inbox.archive(ctx.identity, p.id),
  });
}
