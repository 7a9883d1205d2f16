import { ulid } from "ulid";
import { describe } from "vitest";
import { dropPrefix, REDIS_URL, redisAvailable } from "../test-support/services.js";
import { describeBrokerContract } from "./broker.contract.js";
import { RedisBroker } from "./redis.js";

const up = await redisAvailable();

describe.runIf(up)("redis broker", () => {
  describeBrokerContract("redis", async () => {
    const prefix = `sbtest:${ulid()}:`;
    const nodes: RedisBroker[] = [];
    return {
      node: async () => {
        const node = await RedisBroker.connect({ url: REDIS_URL, prefix });
        nodes.push(node);
        return node;
      },
      close: async () => {
        await Promise.all(nodes.map((n) => n.close()));
        await dropPrefix(prefix);
      },
    };
  });
});
