import type { Member } from "@switchboard/protocol";
import { ulid } from "ulid";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RedisBroker } from "../broker/redis.js";
import type { BrokerEvent } from "../broker/types.js";
import { until } from "../test-support/faults.js";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { startTcpProxy, type TcpProxy } from "../test-support/tcp-proxy.js";

const up = await redisAvailable();
const agent: Member = { user: "agent-1", role: "agent" };
const other: Member = { user: "agent-2", role: "agent" };

/**
 * Node A reaches Redis through its own proxy, node B directly: cutting the proxy cuts A alone,
 * as a network fault would, while B keeps the cluster going.
 */
describe.runIf(up)("presence when one node's Redis link is cut", () => {
  let prefix: string;
  let proxy: TcpProxy;
  let a: RedisBroker;
  let b: RedisBroker;
  const seen: BrokerEvent[] = [];
  const users = async (channel: string) => (await b.presence(channel)).map((m) => m.user).sort();

  async function cluster(nodeTtlMs: number) {
    a = await RedisBroker.connect({ url: proxy.via(REDIS_URL), prefix, nodeTtlMs });
    b = await RedisBroker.connect({ url: REDIS_URL, prefix, nodeTtlMs });
    b.onEvent((e) => seen.push(e));
  }

  beforeEach(async () => {
    prefix = `sbfault:${ulid()}:`;
    seen.length = 0;
    proxy = await startTcpProxy({ port: Number(new URL(REDIS_URL).port || 6379) });
  });
  afterEach(async () => {
    await a?.close();
    await b?.close();
    await proxy?.close();
    await dropPrefix(prefix);
  });

  it("puts a node's members back after a survivor reaped it while it was cut off", async () => {
    await cluster(1500);
    const channel = "staff:reaped";
    await b.subscribe(channel);
    await a.presenceAdd(channel, "conn-1", agent);
    expect(await users(channel)).toEqual(["agent-1"]);

    // cut for well past the TTL: B takes A for dead and removes its members
    const outage = proxy.outage(5000);
    await until(async () => (await users(channel)).length === 0, 10_000, "B reaped A");
    expect(seen).toContainEqual({ kind: "leave", channel, member: agent });
    await outage;

    // A is back with its connection still open: its member must be back too, and say so
    await until(
      async () => (await users(channel)).join() === "agent-1",
      15_000,
      "A's member present again",
    );
    await until(() => seen.some((e) => e.kind === "join"), 5000, "a join for the member");
    expect(seen.filter((e) => e.kind === "join")).toEqual([
      { kind: "join", channel, member: agent },
    ]);
    expect(await b.presenceCount(channel)).toBe(1);

    // and it is recorded as A's again: when A goes, it goes with A
    await a.close();
    await until(async () => (await users(channel)).length === 0, 5000, "gone with A");
  }, 45_000);

  it("removes a connection that closed while Redis was cut, once Redis is back", async () => {
    await cluster(10_000);
    const channel = "staff:ghost";
    await b.subscribe(channel);
    await a.presenceAdd(channel, "conn-1", agent);
    await a.presenceAdd(channel, "conn-2", other);
    expect(await users(channel)).toEqual(["agent-1", "agent-2"]);

    proxy.refuse(true);
    proxy.cut();
    // the socket of agent-1 closes during the cut; agent-2's stays (the channel stays on A)
    await expect(a.presenceRemove(channel, "conn-1")).rejects.toMatchObject({
      code: "unavailable",
    });
    await new Promise((r) => setTimeout(r, 3000));
    proxy.refuse(false);

    await until(
      async () => (await users(channel)).join() === "agent-2",
      15_000,
      "the ghost removed",
    );
    await until(() => seen.some((e) => e.kind === "leave"), 5000, "a leave for the ghost");
    expect(seen.filter((e) => e.kind === "leave")).toEqual([
      { kind: "leave", channel, member: agent },
    ]);
    expect(await b.presenceCount(channel)).toBe(1);
  }, 45_000);

  it("forgets an add that failed in the cut, whether or not Redis stored it", async () => {
    await cluster(10_000);
    const channel = "staff:half";
    await b.subscribe(channel);
    await a.presenceAdd(channel, "conn-0", other);
    proxy.swallowReplies(true); // Redis stores it, A never hears back
    const adding = a.presenceAdd(channel, "conn-1", agent);
    await new Promise((r) => setTimeout(r, 150));
    proxy.cut();
    proxy.swallowReplies(false);
    await expect(adding).rejects.toMatchObject({ code: "unavailable" });
    // the subscribe failed, so A has no such member: Redis must not keep one
    await until(
      async () => (await users(channel)).join() === "agent-2",
      15_000,
      "the half-added member removed",
    );
  }, 45_000);
});
