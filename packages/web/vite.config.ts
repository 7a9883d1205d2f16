import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

// Builds from the workspace packages' TypeScript sources (the same condition tests use).
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ["@switchboard/source", ...defaultClientConditions] },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, target: "es2022" },
  server: {
    proxy: { "/api": "http://127.0.0.1:8080", "/ws": { target: "ws://127.0.0.1:8080", ws: true } },
  },
});
