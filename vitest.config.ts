import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["@switchboard/source"] },
  ssr: { resolve: { conditions: ["@switchboard/source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/src/**/*.test.tsx", "bench/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
  },
});
