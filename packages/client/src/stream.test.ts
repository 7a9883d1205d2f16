import type { MessageFrame, SubscribedFrame } from "@switchboard/protocol";
import { describe, expect, it } from "vitest";
import { interpretSubscribed, judgeLive } from "./stream.js";

const msg = (offset: number | undefined, epoch = "e1"): MessageFrame => ({
  type: "message",
  channel: "staff:x",
  event: "e",
  data: null,
  ts: 0,
  ...(offset !== undefined && { offset, epoch }),
});

const reply = (over: Partial<SubscribedFrame>): SubscribedFrame => ({
  type: "subscribed",
  id: 1,
  channel: "staff:x",
  epoch: "e1",
  offset: 0,
  recovered: false,
  publications: [],
  ...over,
});

const pub = (offset: number) => ({ offset, event: "e", data: offset, ts: 0 });

describe("stream position rules", () => {
  it("delivers the next offset, drops what was seen, resyncs on a skip or a new epoch", () => {
    const at = { epoch: "e1", offset: 5 };
    expect(judgeLive(at, msg(6))).toBe("deliver");
    expect(judgeLive(at, msg(5))).toBe("duplicate");
    expect(judgeLive(at, msg(2))).toBe("duplicate");
    expect(judgeLive(at, msg(8))).toBe("resync");
    expect(judgeLive(at, msg(6, "e2"))).toBe("resync");
    expect(judgeLive(at, msg(undefined))).toBe("ephemeral");
  });

  it("takes offset 1 of any epoch after offset 0 (streams start at their first publish)", () => {
    const empty = { epoch: "of-the-moment", offset: 0 };
    expect(judgeLive(empty, msg(1, "e9"))).toBe("deliver");
    expect(judgeLive(empty, msg(2, "e9"))).toBe("resync");
  });

  it("reads a subscribed reply as fresh, recovered or gap", () => {
    expect(interpretSubscribed(reply({ offset: 9 }), undefined)).toEqual({
      kind: "fresh",
      position: { epoch: "e1", offset: 9 },
    });
    const previous = { epoch: "old", offset: 3 };
    expect(interpretSubscribed(reply({ offset: 9 }), previous)).toEqual({
      kind: "gap",
      position: { epoch: "e1", offset: 9 },
      previous,
    });
  });

  it("never replays a recovered publication twice or out of order", () => {
    const outcome = interpretSubscribed(
      reply({ offset: 6, recovered: true, publications: [pub(3), pub(4), pub(4), pub(5), pub(6)] }),
      { epoch: "e1", offset: 3 },
    );
    expect(outcome.kind).toBe("recovered");
    if (outcome.kind !== "recovered") return;
    expect(outcome.publications.map((p) => p.offset)).toEqual([4, 5, 6]);
    expect(outcome.position).toEqual({ epoch: "e1", offset: 6 });
  });
});
