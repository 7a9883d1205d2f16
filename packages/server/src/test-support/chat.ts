import type { TestServer } from "../testing.js";
import { type RestReply, restCall } from "./rest.js";
import { closeAll, RawClient } from "./ws-client.js";

/** A REST caller bound to one user of a test server (chat tests). */
export interface Caller {
  token: string;
  user: string;
  call(method: string, path: string, body?: unknown): Promise<RestReply>;
  socket(): Promise<RawClient>;
}

export function chatHarness(getServer: () => TestServer) {
  const clients: RawClient[] = [];
  async function as(
    user: string,
    role: "customer" | "agent" | "admin" = "customer",
    extra: { vip?: boolean; value?: number; name?: string } = {},
  ): Promise<Caller> {
    const server = getServer();
    const { vip, value, name } = extra;
    const claims = { ...(vip !== undefined && { vip }), ...(value !== undefined && { value }) };
    const token = await server.token({ sub: user, role, name: name ?? user, claims });
    return {
      token,
      user,
      call: (method, path, body) => restCall(server, method, path, { token, body }),
      async socket() {
        const c = await RawClient.connect(server.wsUrl, token);
        clients.push(c);
        return c;
      },
    };
  }
  return {
    as,
    /** An agent, online with skills and capacity, and connected to staff:chat like the console is. */
    async agent(
      user: string,
      options: { capacity?: number; skills?: string[]; connect?: boolean } = {},
    ) {
      const caller = await as(user, "agent");
      const socket = options.connect === false ? undefined : await caller.socket();
      if (socket) await socket.subscribe("staff:chat");
      const r = await caller.call("PUT", "/api/chat/agents/me", {
        status: "online",
        capacity: options.capacity ?? 3,
        skills: options.skills ?? [],
      });
      if (r.status !== 200) throw new Error(`agent setup failed: ${JSON.stringify(r.body)}`);
      return { ...caller, ws: socket };
    },
    cleanup: () => closeAll(clients),
  };
}
