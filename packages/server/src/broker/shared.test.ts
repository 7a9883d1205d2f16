import { describe, expect, it } from "vitest";
import { describeBrokerContract } from "./broker.contract.js";
import { MemoryHub } from "./memory.js";
import { SharedBroker } from "./shared.js";
import type { BrokerEvent } from "./types.js";

// Everything a broker guarantees still holds through the sharing layer.
describeBrokerContract("shared(memory)", async () => {
  const hub = new MemoryHub();
  const nodes: SharedBroker[] = [];
  return {
    node: async () => {
      const node = new SharedBroker(hub.node());
      nodes.push(node);
      return node;
    },
    close: async () => {
      for (const node of nodes) await node.close();
      hub.close();
    },
  };
});

describe("a broker shared by two listeners of one node", () => {
  const hub = new MemoryHub();
  /** The memory hub hands events on after the publish resolves: let them arrive. */
  const delivered = () => new Promise((r) => setTimeout(r, 20));

  it("gives every listener every event, and keeps a channel while any listener holds it", async () => {
    const shared = new SharedBroker(hub.node());
    const publisher = hub.node();
    const gateway: BrokerEvent[] = [];
    const pusher: BrokerEvent[] = [];
    shared.onEvent((e) => gateway.push(e));
    shared.onEvent((e) => pusher.push(e));
    const history = { size: 0, ttlMs: 1000 };
    await shared.subscribe("pusher:a:x"); // the gateway's native subscriber
    await shared.subscribe("pusher:a:x"); // the Pusher endpoint's
    await publisher.publish("pusher:a:x", { event: "one", data: 1, history });
    await delivered();
    expect(gateway.map((e) => e.kind)).toEqual(["publication"]);
    expect(pusher.map((e) => e.kind)).toEqual(["publication"]);

    await shared.unsubscribe("pusher:a:x"); // the native client left; Pusher clients remain
    await publisher.publish("pusher:a:x", { event: "two", data: 2, history });
    await delivered();
    expect(pusher).toHaveLength(2);

    await shared.unsubscribe("pusher:a:x"); // the last holder left
    await publisher.publish("pusher:a:x", { event: "three", data: 3, history });
    await delivered();
    expect(pusher).toHaveLength(2);

    await shared.subscribe("pusher:a:x"); // and it can be held again
    await publisher.publish("pusher:a:x", { event: "four", data: 4, history });
    await delivered();
    expect(pusher).toHaveLength(3);
    await shared.close();
    await publisher.close();
    hub.close();
  });
});
