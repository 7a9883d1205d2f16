import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";

/**
 * The authenticated caller of a REST route. The route's `onRequest: auth.user/staff/server` hook
 * sets it; a route that forgot the hook answers 401 here rather than hand a service `undefined`.
 */
export function callerOf(request: { identity?: Identity | undefined }): Identity {
  if (!request.identity) throw new SwitchboardError("unauthorized", "this route needs credentials");
  return request.identity;
}
