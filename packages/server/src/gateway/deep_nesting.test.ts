import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";

let server: TestServer;
const clients: RawClient[] = [];
afterEach(async () => {
  closeAll(clients);
  await server?.close();
});

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

describe("deeply nested data", () => {
  it("is refused at validation over the socket and REST, and the channel stays healthy", async () => {
    server = await startTestServer();
    const staff = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "ann", role: "agent" }),
    );
    clients.push(staff);
    await staff.subscribe("staff:deep");
    // Raw text: the frame is built by hand, as an attacker would.
    const id = staff.id();
    staff.send(
      `{"type":"publish","id":${id},"channel":"staff:deep","event":"x","data":${deep(6000)}}`,
    );
    const reply = await staff.next((f) => f.id === id);
    expect(reply).toMatchObject({ type: "error", code: "bad_request" });

    const rest = await fetch(`${server.url}/api/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: `{"channel":"staff:deep","event":"x","data":${deep(6000)}}`,
    });
    expect(rest.status).toBe(400);
    // Any route: a module's body too.
    const order = await fetch(`${server.url}/api/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.apiKey}`, "content-type": "application/json" },
      body: `{"customerId":"c1","metadata":${deep(5000)}}`,
    });
    expect(order.status).toBe(400);

    // Within the limit it is fine, and history and recovery keep working.
    const ok = await staff.request({
      type: "publish",
      channel: "staff:deep",
      event: "x",
      data: JSON.parse(deep(60)),
    });
    expect(ok.type).toBe("published");
    const h = await staff.request({ type: "history", channel: "staff:deep", limit: 10 });
    expect(h).toMatchObject({ type: "history", complete: true });
    expect((h.publications as unknown[]).length).toBe(1);
    const again = await RawClient.connect(
      server.wsUrl,
      await server.token({ sub: "bo", role: "agent" }),
    );
    clients.push(again);
    const sub = await again.subscribe("staff:deep", {
      recover: { epoch: h.epoch as string, offset: 0 },
    });
    expect(sub.recovered).toBe(true);
  }, 60_000); // a whole server start and several round trips: slow on a busy shared machine
});
