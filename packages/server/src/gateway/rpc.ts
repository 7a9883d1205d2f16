import type { z } from "zod";
import type { Identity } from "../auth/identity.js";
import { SwitchboardError } from "../errors.js";

export interface RpcContext {
  identity: Identity;
  /** The socket session that called, when the call came over a socket. */
  session?: string;
}

export interface RpcMethod<S extends z.ZodType = z.ZodType> {
  params: S;
  handler: (params: z.output<S>, ctx: RpcContext) => Promise<unknown>;
}

/** Methods modules offer over the socket; each is a thin adapter over the same service as its REST route. */
export class RpcRegistry {
  private readonly methods = new Map<string, RpcMethod>();

  register<S extends z.ZodType>(name: string, method: RpcMethod<S>): void {
    if (this.methods.has(name)) throw new Error(`rpc method ${name} registered twice`);
    this.methods.set(name, method as unknown as RpcMethod);
  }

  names(): string[] {
    return [...this.methods.keys()];
  }

  async call(name: string, params: unknown, ctx: RpcContext): Promise<unknown> {
    const method = this.methods.get(name);
    if (!method) throw new SwitchboardError("not_found", `unknown rpc method "${name}"`);
    const parsed = method.params.safeParse(params);
    if (!parsed.success) {
      throw new SwitchboardError("bad_request", `invalid params for ${name}`, {
        details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      });
    }
    return method.handler(parsed.data, ctx);
  }
}
