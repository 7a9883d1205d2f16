import { describe, expect, it } from "vitest";
import { channelMatches, isValidChannel, parseChannel } from "./channel.js";
import { capsGrant } from "./claims.js";
import { CloseCode, shouldReconnect } from "./codes.js";

describe("channel names", () => {
  it("parses namespace and rest at the first colon", () => {
    expect(parseChannel("order:42:items")).toEqual({ namespace: "order", rest: "42:items" });
    expect(parseChannel("user:alice@example.com")).toEqual({
      namespace: "user",
      rest: "alice@example.com",
    });
  });

  it.each(["", "product", ":1", "product:", "pro duct:1", "product:1/2", `a:${"x".repeat(254)}`])(
    "rejects %j",
    (name) => {
      expect(isValidChannel(name)).toBe(false);
      expect(parseChannel(name)).toBeNull();
    },
  );

  it("matches exact and prefix patterns", () => {
    expect(channelMatches("product:*", "product:9")).toBe(true);
    expect(channelMatches("product:9", "product:9")).toBe(true);
    expect(channelMatches("product:9", "product:91")).toBe(false);
    expect(channelMatches("staff:*", "product:9")).toBe(false);
  });

  it("grants capabilities only where a pattern matches", () => {
    const caps = { "order:7": ["subscribe" as const], "staff:*": ["publish" as const] };
    expect(capsGrant(caps, "order:7", "subscribe")).toBe(true);
    expect(capsGrant(caps, "order:7", "publish")).toBe(false);
    expect(capsGrant(caps, "staff:floor", "publish")).toBe(true);
    expect(capsGrant(undefined, "order:7", "subscribe")).toBe(false);
  });
});

describe("close codes", () => {
  it("tells the client when to reconnect", () => {
    expect(shouldReconnect(CloseCode.ServerRestart)).toBe(true);
    expect(shouldReconnect(CloseCode.Internal)).toBe(true);
    expect(shouldReconnect(CloseCode.TokenExpired)).toBe(true);
    expect(shouldReconnect(CloseCode.Unauthorized)).toBe(false);
    expect(shouldReconnect(CloseCode.SessionReplaced)).toBe(false);
    expect(shouldReconnect(1006)).toBe(true);
  });
});
