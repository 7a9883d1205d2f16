import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";

type Frame = Awaited<ReturnType<RawClient["next"]>>;

import { startTestServer, type TestServer } from "../testing.js";

const countOf = (f: Frame) => (f.data as { count: number }).count;
const isCount = (channel: string) => (f: Frame) =>
  f.type === "message" &&
  (f as { channel?: string }).channel === channel &&
  (f as { event?: string }).event === "presence_count";

/**
 * On a namespace that shows customers a count, not who (`product:*`), the count moves live:
 * joins and leaves send subscribers that track presence `presence_count {count}` (no join/leave
 * frames), a storm of them coalesced into a few announcements.
 */
describe("presence counts on count-only namespaces", () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  afterEach(async () => {
    closeAll(clients);
    await server?.close();
  });

  it("tells every subscriber the new count when a shopper arrives or leaves; never who", async () => {
    server = await startTestServer();
    const connect = async (sub: string, role: "customer" | "agent" = "customer") => {
      const c = await RawClient.connect(server.wsUrl, await server.token({ sub, name: sub, role }));
      clients.push(c);
      return c;
    };
    const ann = await connect("ann");
    await ann.subscribe("product:CAM-1", { presence: true });
    // a subscriber that does not track presence is not sent counts
    const cal = await connect("cal");
    await cal.subscribe("product:CAM-1");

    const bob = await connect("bob");
    await bob.subscribe("product:CAM-1");
    expect(countOf(await ann.next(isCount("product:CAM-1")))).toBe(3);
    // a second connection of the same user is not a new viewer: no new count
    const bob2 = await connect("bob");
    await bob2.subscribe("product:CAM-1");
    bob.close();
    bob2.close();
    expect(countOf(await ann.next(isCount("product:CAM-1"), 10_000))).toBe(2);
    expect(cal.frames.filter(isCount("product:CAM-1"))).toEqual([]);
    expect(ann.frames.filter((f) => f.type === "join" || f.type === "leave")).toEqual([]);
    expect(JSON.stringify(ann.frames)).not.toContain("bob");

    // namespaces with join/leave frames get those, not counts
    const sam = await connect("sam", "agent");
    const sue = await connect("sue", "agent");
    await sam.subscribe("staff:floor", { presence: true });
    await sue.subscribe("staff:floor", { presence: true });
    await sam.next((f) => f.type === "join");
    await new Promise((r) => setTimeout(r, 300));
    expect(sam.frames.filter(isCount("staff:floor"))).toEqual([]);
  });
});
