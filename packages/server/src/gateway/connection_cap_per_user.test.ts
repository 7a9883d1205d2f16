import { CloseCode } from "@switchboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  closeAll(clients);
  await server?.close();
  server = undefined;
});

async function attempt(token: string, session?: string) {
  const client = await RawClient.open(server?.wsUrl ?? "");
  clients.push(client);
  const reply = await client.request({ type: "connect", token, ...(session && { session }) });
  return { client, reply };
}

describe("connections per user", () => {
  it("refuses a user's socket past the cap with 4429, counts users apart, and frees a place on close", async () => {
    server = await startTestServer({ config: { limits: { maxConnectionsPerUser: 3 } } });
    const alice = await server.token({ sub: "alice" });
    const tries = await Promise.all(Array.from({ length: 8 }, () => attempt(alice)));
    const ok = tries.filter((t) => t.reply.type === "connected");
    const refused = tries.filter((t) => t.reply.type === "error");
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(5);
    for (const r of refused) {
      expect(r.reply).toMatchObject({ code: "rate_limited" });
      expect((await r.client.closed).code).toBe(CloseCode.RateLimited);
    }
    // Another user is not affected.
    const bob = await attempt(await server.token({ sub: "bob" }));
    expect(bob.reply.type).toBe("connected");
    // Closing one frees a place (the server notices the close asynchronously: poll).
    ok[0]?.client.socket.close();
    await expect
      .poll(async () => (await attempt(alice)).reply.type, { timeout: 20_000, interval: 200 })
      .toBe("connected");
  });

  it("lets a user resume their session at the cap (the old socket is replaced, not added)", async () => {
    server = await startTestServer({ config: { limits: { maxConnectionsPerUser: 2 } } });
    const carol = await server.token({ sub: "carol" });
    const first = await attempt(carol);
    await attempt(carol);
    const session = String(first.reply.session);
    const resumed = await attempt(carol, session);
    expect(resumed.reply).toMatchObject({ type: "connected", session });
    expect((await first.client.closed).code).toBe(CloseCode.SessionReplaced);
  });
});
