import { z } from "zod";
import type { RpcRegistry } from "../../gateway/rpc.js";
import { idParams, inboxQuery, sendBody } from "./schema.js";
import type { NotificationsService } from "./service.js";

/**
 * The inbox over the socket: `notifications.list`, `.read`, `.readAll`, `.archive`; and
 * `notifications.send` for a backend or staff console that keeps a socket open (the same body,
 * checks and answer as `POST /api/notifications`, without an HTTP request per send; retries are
 * made safe by `dedupeKey`, as the socket has no Idempotency-Key header).
 */
export function registerNotificationRpc(rpc: RpcRegistry, service: NotificationsService): void {
  rpc.register("notifications.send", {
    params: sendBody,
    handler: (p, ctx) => service.send(ctx.identity, p),
  });
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
