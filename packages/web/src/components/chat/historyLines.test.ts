import { describe, expect, it } from "vitest";
import { linesFromHistory } from "./historyLines.js";

describe("conversation lines rebuilt from history", () => {
  it("names joins, keeps transfers and requeues in order, skips everything else", () => {
    const { lines, names } = linesFromHistory([
      { event: "message", data: { text: "hi" } },
      {
        event: "assigned",
        data: { conversationId: "c", agentId: "ann", agentName: "Ann", how: "auto", at: "t1" },
      },
      { event: "transferred", data: { conversationId: "c", from: "ann", to: "ben", at: "t2" } },
      {
        event: "status",
        data: { conversationId: "c", status: "waiting", requeued: true, at: "t3" },
      },
      { event: "status", data: { conversationId: "c", status: "resolved", at: "t4" } },
    ]);
    expect(lines).toEqual([
      { at: "t1", text: "Ann joined the chat" },
      { at: "t2", text: "transferred:ann:ben" },
      { at: "t3", text: "Back in the queue: the next free agent will take over" },
    ]);
    expect([...names]).toEqual([["ann", "Ann"]]);
  });
});
