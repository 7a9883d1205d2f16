import react from "@vitejs/plugin-react";
import { defaultClientConditions, defineConfig } from "vite";

export default defineConfig(({ command }) => {
  // A build is for production whatever NODE_ENV the shell has (vitest runs with "test";
  // `NODE_ENV=development npm start` configures the server, not the bundle): React's production
  // build, not its development one (twice the size, slower, warnings in the console).
  if (command === "build") process.env.NODE_ENV = "production";
  return {
    plugins: [react()],
    // Builds from the workspace packages' TypeScript sources (the same condition tests use).
    resolve: { conditions: ["@switchboard/source", ...defaultClientConditions] },
    // No source maps in the build: they would be served with the app (its sources to anyone).
    // `npm run dev` has them; SWITCHBOARD_WEB_SOURCEMAP=1 builds them for a debugging session.
    build: {
      outDir: "dist",
      emptyOutDir: true,
      sourcemap: process.env.SWITCHBOARD_WEB_SOURCEMAP === "1",
      target: "es2022",
    },
    server: {
      proxy: {
        "/api": "http://127.0.0.1:8080",
        "/ws": { target: "ws://127.0.0.1:8080", ws: true },
      },
    },
  };
});
