import { configDefaults, defineConfig } from "vitest/config";

const BROWSER_TESTS = "packages/web/src/browser/**/*.browser.test.ts";

export default defineConfig({
  resolve: { conditions: ["@switchboard/source"] },
  ssr: { resolve: { conditions: ["@switchboard/source"] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "packages/*/src/**/*.test.ts",
            "packages/*/src/**/*.test.tsx",
            "bench/**/*.test.ts",
          ],
          exclude: [...configDefaults.exclude, BROWSER_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Real Chromium against a real server: one file at a time, after the rest (2 cores), with
        // Chromium ensured and the web app (re)built first when needed.
        extends: true,
        test: {
          name: "browser",
          include: [BROWSER_TESTS],
          globalSetup: ["packages/web/src/browser/global-setup.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
