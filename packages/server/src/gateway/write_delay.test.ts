import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeAll, RawClient } from "../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../testing.js";
import { type Sink, WriteBatcher } from "./wire.js";

/** A sink that keeps every write, as a socket would send it. */
class RecordingSink implements Sink {
  destroyed = false;
  writable = true;
  readonly writes: Buffer[] = [];
  write(chunk: Buffer): boolean {
    this.writes.push(Buffer.from(chunk));
    return true;
  }
  get text(): string {
    return Buffer.concat(this.writes).toString();
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Queues one numbered frame per turn to each sink, `turns` times in a row. */
async function burst(
  batcher: WriteBatcher,
  sinks: RecordingSink[],
  turns: number,
): Promise<string> {
  let expected = "";
  for (let i = 0; i < turns; i++) {
    for (const s of sinks) batcher.queue(s, Buffer.from(`${i},`));
    expected += `${i},`;
    await turn();
  }
  return expected;
}

describe("write batching with a bounded delay", () => {
  it("without a delay every turn is its own write (the control)", async () => {
    const batcher = new WriteBatcher(0);
    const sink = new RecordingSink();
    const expected = await burst(batcher, [sink], 50);
    await until(() => sink.text === expected, "every frame");
    expect(sink.writes.length).toBe(50);
  });

  it("with a delay, frames of many turns share writes, in order, and a quiet start is not held", async () => {
    const batcher = new WriteBatcher(2);
    const a = new RecordingSink();
    const b = new RecordingSink();
    // Quiet server: the first frame goes at the end of its turn, not after the delay.
    batcher.queue(a, Buffer.from("first,"));
    await turn();
    expect(a.text).toBe("first,");
    const expected = await burst(batcher, [a, b], 200);
    await until(() => a.text === `first,${expected}` && b.text === expected, "every frame");
    // 200 turns of a few microseconds each fit in far fewer 2 ms windows.
    expect(a.writes.length).toBeLessThan(200);
    expect(b.writes.length).toBeLessThan(200);
  });

  it("flush(socket) still writes at once (a close frame must follow what was queued)", async () => {
    const batcher = new WriteBatcher(2);
    const sink = new RecordingSink();
    batcher.queue(sink, Buffer.from("a,"));
    await turn(); // a flush just happened: the next one would wait
    batcher.queue(sink, Buffer.from("b,"));
    batcher.flush(sink);
    expect(sink.text).toBe("a,b,");
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.text).toBe("a,b,"); // nothing written twice
  });
});

describe("write batching through real sockets", () => {
  let server: TestServer | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    closeAll(clients);
    await server?.close();
    server = undefined;
  });

  it("delivers every publication once and in order to every subscriber with a 2 ms delay", async () => {
    server = await startTestServer({ config: { writeDelayMs: 2 } });
    const channel = "product:batched";
    const subs: RawClient[] = [];
    const reads: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.connect(server.wsUrl, await server.token({ sub: `viewer-${i}` }));
      clients.push(c);
      await c.subscribe(channel);
      const raw = (c.socket as unknown as { _socket: Socket })._socket;
      reads.push(0);
      raw.on("data", () => {
        reads[i]! += 1;
      });
      subs.push(c);
    }
    const total = 300;
    for (let i = 0; i < total; i += 10) {
      const batch = [];
      for (let k = i; k < i + 10; k++) batch.push(server.publish(channel, "tick", { n: k }));
      await Promise.all(batch);
    }
    for (const c of subs) {
      const got = await c.collect(
        (f) => f.type === "message" && f.channel === channel,
        total,
        20_000,
      );
      expect(got.map((f) => (f.data as { n: number }).n)).toEqual(
        Array.from({ length: total }, (_, k) => k),
      );
      const offsets = got.map((f) => f.offset as number);
      expect(offsets.every((o, k) => k === 0 || o === (offsets[k - 1] as number) + 1)).toBe(true);
      expect(c.messages(channel)).toHaveLength(0); // no duplicate left over
    }
    // Bursts share writes (per turn, and across turns within the delay): fewer reads than messages.
    for (const n of reads) expect(n).toBeLessThan(total);
  });
});
