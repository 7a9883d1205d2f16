import type { Member } from "@switchboard/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Broker, BrokerEvent, HistoryOptions } from "./types.js";

export interface BrokerCluster {
  /** A new node on the same cluster (same hub / same Redis). */
  node(): Promise<Broker>;
  /** Close every node and release the cluster. */
  close(): Promise<void>;
}

const HISTORY: HistoryOptions = { size: 100, ttlMs: 60_000 };
const alice: Member = { user: "alice", name: "Alice", role: "customer" };
const bob: Member = { user: "bob", role: "agent" };

function collect(broker: Broker): BrokerEvent[] {
  const events: BrokerEvent[] = [];
  broker.onEvent((e) => events.push(e));
  return events;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

let seq = 0;
const uniqueChannel = (ns = "test") => `${ns}:${process.pid}-${Date.now()}-${++seq}`;

/**
 * The behaviour every Broker implementation must have. Run it from a `*.test.ts` beside the
 * implementation: `describeBrokerContract("memory", async () => cluster)`.
 */
export function describeBrokerContract(
  name: string,
  makeCluster: () => Promise<BrokerCluster>,
): void {
  describe(`Broker contract: ${name}`, () => {
    let cluster: BrokerCluster;
    let a: Broker;
    let b: Broker;

    beforeEach(async () => {
      cluster = await makeCluster();
      a = await cluster.node();
      b = await cluster.node();
    });
    afterEach(async () => {
      await cluster.close();
    });

    it("assigns offsets 1, 2, 3 in one epoch", async () => {
      const ch = uniqueChannel();
      const r1 = await a.publish(ch, { event: "e", data: 1, history: HISTORY });
      const r2 = await a.publish(ch, { event: "e", data: 2, history: HISTORY });
      const r3 = await b.publish(ch, { event: "e", data: 3, history: HISTORY });
      expect([r1.offset, r2.offset, r3.offset]).toEqual([1, 2, 3]);
      expect(new Set([r1.epoch, r2.epoch, r3.epoch]).size).toBe(1);
      expect(await b.position(ch)).toEqual({ epoch: r1.epoch, offset: 3 });
    });

    it("never repeats or skips an offset when nodes publish concurrently", async () => {
      const ch = uniqueChannel();
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 ? a : b).publish(ch, { event: "e", data: i, history: HISTORY }),
        ),
      );
      const offsets = results.map((r) => r.offset).sort((x, y) => x - y);
      expect(offsets).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it("delivers publications to every subscribed node in offset order", async () => {
      const ch = uniqueChannel();
      const onA = collect(a);
      const onB = collect(b);
      await a.subscribe(ch);
      await b.subscribe(ch);
      for (let i = 0; i < 50; i++) {
        await (i % 2 ? a : b).publish(ch, { event: "n", data: i, history: HISTORY });
      }
      await until(() => onA.length === 50 && onB.length === 50);
      for (const events of [onA, onB]) {
        const offsets = events.map((e) => (e.kind === "publication" ? e.publication.offset : -1));
        expect(offsets).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      }
    });

    it("stops delivering after unsubscribe and only delivers subscribed channels", async () => {
      const ch = uniqueChannel();
      const other = uniqueChannel();
      const onA = collect(a);
      await a.subscribe(ch);
      await b.publish(other, { event: "x", data: 0, history: HISTORY });
      await b.publish(ch, { event: "x", data: 1, history: HISTORY });
      await until(() => onA.length === 1);
      await a.unsubscribe(ch);
      await b.publish(ch, { event: "x", data: 2, history: HISTORY });
      await b.publish(ch, { event: "x", data: 3, history: HISTORY });
      await new Promise((r) => setTimeout(r, 100));
      expect(onA).toHaveLength(1);
      expect(onA[0]?.channel).toBe(ch);
    });

    it("returns the first offset for a repeated idempotency key and fans out nothing", async () => {
      const ch = uniqueChannel();
      const onB = collect(b);
      await b.subscribe(ch);
      const first = await a.publish(ch, { event: "e", data: 1, key: "k1", history: HISTORY });
      const again = await b.publish(ch, { event: "e", data: 1, key: "k1", history: HISTORY });
      const other = await a.publish(ch, { event: "e", data: 2, key: "k2", history: HISTORY });
      expect(first).toMatchObject({ offset: 1, duplicate: false });
      expect(again).toMatchObject({ offset: 1, duplicate: true, epoch: first.epoch });
      expect(other.offset).toBe(2);
      await until(() => onB.length === 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(onB).toHaveLength(2);
    });

    it("keeps the same key on different channels apart", async () => {
      const r1 = await a.publish(uniqueChannel(), {
        event: "e",
        data: 1,
        key: "same",
        history: HISTORY,
      });
      const r2 = await a.publish(uniqueChannel(), {
        event: "e",
        data: 1,
        key: "same",
        history: HISTORY,
      });
      expect(r1.duplicate).toBe(false);
      expect(r2.duplicate).toBe(false);
    });

    it("recovers everything after a position that is still in history", async () => {
      const ch = uniqueChannel();
      for (let i = 1; i <= 10; i++) await a.publish(ch, { event: "e", data: i, history: HISTORY });
      const { epoch } = await a.position(ch);
      const h = await b.history(ch, { since: { epoch, offset: 4 }, limit: 1000 }, HISTORY);
      expect(h.complete).toBe(true);
      expect(h.publications.map((p) => p.offset)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(h.publications.map((p) => p.data)).toEqual([5, 6, 7, 8, 9, 10]);
      expect(h).toMatchObject({ epoch, offset: 10 });
      const none = await b.history(ch, { since: { epoch, offset: 10 }, limit: 1000 }, HISTORY);
      expect(none).toMatchObject({ complete: true, publications: [] });
    });

    it("says incomplete when the epoch differs or history was trimmed by size", async () => {
      const small: HistoryOptions = { size: 5, ttlMs: 60_000 };
      const ch = uniqueChannel();
      for (let i = 1; i <= 12; i++) await a.publish(ch, { event: "e", data: i, history: small });
      const { epoch } = await a.position(ch);
      const wrongEpoch = await a.history(
        ch,
        { since: { epoch: "nope", offset: 10 }, limit: 100 },
        small,
      );
      expect(wrongEpoch.complete).toBe(false);
      const trimmed = await a.history(ch, { since: { epoch, offset: 3 }, limit: 100 }, small);
      expect(trimmed.complete).toBe(false);
      const latest = await a.history(ch, { limit: 100 }, small);
      expect(latest.publications.map((p) => p.offset)).toEqual([8, 9, 10, 11, 12]);
      const ok = await a.history(ch, { since: { epoch, offset: 7 }, limit: 100 }, small);
      expect(ok.complete).toBe(true);
      const ahead = await a.history(ch, { since: { epoch, offset: 99 }, limit: 100 }, small);
      expect(ahead.complete).toBe(false);
    });

    it("drops history older than its TTL", async () => {
      const short: HistoryOptions = { size: 100, ttlMs: 200 };
      const ch = uniqueChannel();
      await a.publish(ch, { event: "e", data: "old", history: short });
      await new Promise((r) => setTimeout(r, 1100));
      await a.publish(ch, { event: "e", data: "new", history: short });
      const h = await a.history(ch, { limit: 100 }, short);
      expect(h.publications.map((p) => p.data)).toEqual(["new"]);
      const { epoch } = await a.position(ch);
      const since = await a.history(ch, { since: { epoch, offset: 0 }, limit: 100 }, short);
      expect(since.complete).toBe(false);
    });

    it("returns the latest publications, limited, without since", async () => {
      const ch = uniqueChannel();
      for (let i = 1; i <= 8; i++) await a.publish(ch, { event: "e", data: i, history: HISTORY });
      const h = await b.history(ch, { limit: 3 }, HISTORY);
      expect(h.publications.map((p) => p.offset)).toEqual([6, 7, 8]);
      expect(h.complete).toBe(true);
    });

    it("keeps offsets advancing with no history retained", async () => {
      const none: HistoryOptions = { size: 0, ttlMs: 60_000 };
      const ch = uniqueChannel();
      await a.publish(ch, { event: "e", data: 1, history: none });
      const r = await a.publish(ch, { event: "e", data: 2, history: none });
      expect(r.offset).toBe(2);
      const h = await a.history(ch, { since: { epoch: r.epoch, offset: 1 }, limit: 10 }, none);
      expect(h.complete).toBe(false);
      const same = await a.history(ch, { since: { epoch: r.epoch, offset: 2 }, limit: 10 }, none);
      expect(same.complete).toBe(true);
    });

    it("carries event, data, ts and from through publish and history", async () => {
      const ch = uniqueChannel();
      const onB = collect(b);
      await b.subscribe(ch);
      const before = Date.now();
      await a.publish(ch, {
        event: "price",
        data: { n: 1, s: "x" },
        from: { user: "u1" },
        history: HISTORY,
      });
      await until(() => onB.length === 1);
      const e = onB[0];
      expect(e?.kind).toBe("publication");
      if (e?.kind !== "publication") return;
      expect(e.publication).toMatchObject({
        offset: 1,
        event: "price",
        data: { n: 1, s: "x" },
        from: { user: "u1" },
      });
      expect(e.publication.ts).toBeGreaterThanOrEqual(before - 1000);
      const h = await a.history(ch, { limit: 10 }, HISTORY);
      expect(h.publications[0]).toEqual(e.publication);
    });

    it("fans out ephemeral signals without an offset or history", async () => {
      const ch = uniqueChannel();
      const onB = collect(b);
      await b.subscribe(ch);
      await a.broadcast({
        kind: "signal",
        channel: ch,
        event: "typing",
        data: { on: true },
        ts: Date.now(),
        from: { user: "alice" },
      });
      await until(() => onB.length === 1);
      expect(onB[0]).toMatchObject({ kind: "signal", event: "typing" });
      expect((await a.position(ch)).offset).toBe(0);
    });

    it("counts presence per user across nodes and reports joins and leaves", async () => {
      const ch = uniqueChannel();
      expect(await a.presenceAdd(ch, "c1", alice)).toMatchObject({ joined: true });
      expect(await b.presenceAdd(ch, "c2", alice)).toMatchObject({ joined: false });
      expect(await b.presenceAdd(ch, "c3", bob)).toMatchObject({ joined: true });
      expect(await a.presenceCount(ch)).toBe(2);
      const members = (await b.presence(ch)).sort((x, y) => x.user.localeCompare(y.user));
      expect(members).toEqual([
        { ...alice, connections: 2 },
        { ...bob, connections: 1 },
      ]);
      expect(await a.presenceRemove(ch, "c1")).toMatchObject({ left: false });
      expect(await b.presenceRemove(ch, "c2")).toMatchObject({ left: true, member: alice });
      expect(await b.presenceRemove(ch, "c2")).toEqual({});
      expect(await a.presenceCount(ch)).toBe(1);
    });

    it("removes a closed node's presence and tells the others", async () => {
      const ch = uniqueChannel();
      const onB = collect(b);
      await b.subscribe(ch);
      await a.presenceAdd(ch, "ca", alice);
      await b.presenceAdd(ch, "cb", bob);
      await a.close();
      await until(() => onB.some((e) => e.kind === "leave"));
      expect(onB.find((e) => e.kind === "leave")).toMatchObject({ member: alice });
      expect((await b.presence(ch)).map((m) => m.user)).toEqual(["bob"]);
    });

    it("creates no stream on reads: a channel nobody published on stays at offset 0", async () => {
      const ch = uniqueChannel();
      const first = await a.position(ch);
      expect(first.offset).toBe(0);
      const h = await b.history(ch, { limit: 10 }, HISTORY);
      expect(h).toMatchObject({ offset: 0, publications: [], complete: true, more: false });
      const since = await b.history(ch, { since: first, limit: 10 }, HISTORY);
      expect(since).toMatchObject({ complete: true, publications: [] });
      // The first publish creates the stream, under its own epoch; offset 0 of any epoch
      // recovers everything from it.
      const r = await a.publish(ch, { event: "e", data: 1, history: HISTORY });
      expect(r.offset).toBe(1);
      const after = await b.history(ch, { since: first, limit: 10 }, HISTORY);
      expect(after.complete).toBe(true);
      expect(after.publications.map((p) => p.offset)).toEqual([1]);
    });

    it("pages history by bytes and by offset, both ways, fetching only what is asked", async () => {
      const ch = uniqueChannel();
      const text = "z".repeat(1000);
      for (let i = 1; i <= 30; i++)
        await a.publish(ch, { event: "e", data: { i, text }, history: HISTORY });
      const latest = await b.history(ch, { limit: 100, maxBytes: 5000 }, HISTORY);
      const offsets = (h: { publications: { offset: number }[] }) =>
        h.publications.map((p) => p.offset);
      expect(offsets(latest)).toEqual([27, 28, 29, 30]);
      expect(latest.more).toBe(true);
      const back = await b.history(ch, { before: 27, limit: 2, maxBytes: 5000 }, HISTORY);
      expect(offsets(back)).toEqual([25, 26]);
      expect(back.more).toBe(true);
      const oldest = await b.history(ch, { before: 3, limit: 10 }, HISTORY);
      expect(offsets(oldest)).toEqual([1, 2]);
      expect(oldest.more).toBe(false);
      const { epoch } = latest;
      const fwd = await b.history(
        ch,
        { since: { epoch, offset: 10 }, limit: 100, maxBytes: 3000 },
        HISTORY,
      );
      expect(offsets(fwd)).toEqual([11, 12]);
      expect(fwd).toMatchObject({ complete: true, more: true });
      const end = await b.history(ch, { since: { epoch, offset: 28 }, limit: 100 }, HISTORY);
      expect(offsets(end)).toEqual([29, 30]);
      expect(end.more).toBe(false);
      // One publication larger than the cap still comes, so paging always moves on.
      const one = await b.history(ch, { limit: 100, maxBytes: 10 }, HISTORY);
      expect(offsets(one)).toEqual([30]);
    });

    it("is ready while open", async () => {
      expect(await a.ready()).toBe(true);
    });
  });
}
