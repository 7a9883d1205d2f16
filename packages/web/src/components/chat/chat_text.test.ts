/** @vitest-environment jsdom */
import { describe, expect, it } from "vitest";
import { unreadOf } from "../staff/unread.js";
import { initials, timeline } from "./ConversationView.js";

describe("chat helpers", () => {
  it("initials of one or more names", () => {
    expect(initials("Ann")).toBe("A");
    expect(initials("ann lee")).toBe("AL");
    expect(initials("  ")).toBe("?");
  });
  it("unread counts what came after my read receipt", () => {
    const c = { lastSeq: 5, receipts: [{ userId: "ann", deliveredSeq: 5, readSeq: 3 }] };
    expect(unreadOf(c, "ann")).toBe(2);
    expect(unreadOf(c, "ben")).toBe(5);
    expect(unreadOf({ lastSeq: 3, receipts: c.receipts }, "ann")).toBe(0);
  });
  it("places lines between messages by time", () => {
    const msg = (seq: number, createdAt: string) => ({
      id: String(seq),
      conversationId: "c",
      seq,
      author: { id: "u", role: "customer" as const },
      text: "t",
      meta: {},
      createdAt,
    });
    const out = timeline(
      [msg(1, "2026-01-01T10:00:00Z"), msg(2, "2026-01-01T10:05:00Z")],
      [{ at: "2026-01-01T10:02:00Z", text: "Ann joined the chat" }],
    );
    expect(out.map((e) => ("seq" in e ? e.seq : e.text))).toEqual([1, "Ann joined the chat", 2]);
  });
});
