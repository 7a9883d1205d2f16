import type { TestServer } from "../testing.js";
import { closeAll, RawClient } from "./ws-client.js";

/** A REST caller bound to one user of a test server (chat tests). */
export interface Caller {
  token: string;
  user: string;
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }>;
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
    const token = await server.token({ sub: user, role, name: extra.name ?? user, ...extra });
    return {
      token,
      user,
      async call(method, path, body) {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined && { "content-type": "application/json" }),
          },
          ...(body !== undefined && {
            body: typeof body === "string" ? body : JSON.stringify(body),
          }),
        });
        const text = await res.text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON (a download)
        }
        return { status: res.status, body: parsed };
      },
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
