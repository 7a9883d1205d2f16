import { describeBrokerContract } from "./broker.contract.js";
import { MemoryHub } from "./memory.js";

describeBrokerContract("memory", async () => {
  const hub = new MemoryHub();
  return {
    node: async () => hub.node(),
    close: async () => {
      for (const node of [...hub.nodes]) await node.close();
      hub.close();
    },
  };
});
