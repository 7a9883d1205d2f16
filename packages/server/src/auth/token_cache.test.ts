import { describe, expect, it } from "vitest";
import { TokenCache } from "./token-cache.js";
import { createTokenVerifier, mintToken } from "./tokens.js";

const SECRET = "test-secret-that-is-long-enough-for-hs256";

describe("verified-token cache", () => {
  it("serves a cached identity until the token's exp, then the token is refused as expired", async () => {
    const verify = createTokenVerifier({ secret: SECRET, requireExp: true });
    const token = await mintToken(SECRET, { sub: "ann", expiresInSeconds: 2 });
    expect((await verify(token)).user).toBe("ann");
    expect((await verify(token)).user).toBe("ann");
    await new Promise((resolve) => setTimeout(resolve, 2600));
    await expect(verify(token)).rejects.toThrow(/expired/);
  });

  it("does not let a forged payload borrow the signature of a cached token", async () => {
    const verify = createTokenVerifier({ secret: SECRET, requireExp: true });
    const token = await mintToken(SECRET, { sub: "ann", role: "customer" });
    await verify(token);
    const [header, , signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "ann", role: "admin", exp: 4e9 })).toString(
      "base64url",
    );
    await expect(verify(`${header}.${forged}.${signature}`)).rejects.toThrow(/signature/);
  });

  it("hands out copies, so a caller extending an identity does not change the next caller's", async () => {
    const verify = createTokenVerifier({ secret: SECRET, requireExp: false });
    const token = await mintToken(SECRET, { sub: "adm", role: "admin" });
    const first = await verify(token);
    first.server = true;
    const second = await verify(token);
    expect(second.server).toBeUndefined();
  });

  it("keeps at most its size, dropping the oldest entry, and honours its max age", () => {
    const cache = new TokenCache(2, 60);
    cache.set("a", { user: "a", role: "customer" }, 1000);
    cache.set("b", { user: "b", role: "customer" }, 1000);
    cache.set("c", { user: "c", role: "customer" }, 1000);
    expect(cache.size).toBe(2);
    expect(cache.get("a", 1000)).toBeUndefined();
    expect(cache.get("c", 1059)?.user).toBe("c");
    expect(cache.get("c", 1060)).toBeUndefined();
  });

  it("does not remember anything with size 0", () => {
    const cache = new TokenCache(0);
    cache.set("a", { user: "a", role: "customer" }, 1000);
    expect(cache.get("a", 1000)).toBeUndefined();
  });
});
