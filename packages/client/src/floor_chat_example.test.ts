import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs examples/floor-chat.mjs (on the SDK's sources) with `input` piped to it. */
function runFloorChat(env: Record<string, string>, input: string) {
  const child = spawn(
    process.execPath,
    ["--conditions=@switchboard/source", "--import", "tsx", "examples/floor-chat.mjs"],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] },
  );
  fx.defer(() => {
    if (child.exitCode === null) child.kill();
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { exited, output: () => ({ stdout, stderr }) };
}

describe("examples/floor-chat.mjs", () => {
  it("sends a piped line before it exits", async () => {
    const server = await fx.server();
    const bob = await fx.agent(server, "bob");
    const floor = bob.subscribe("staff:floor");
    await waitFor(() => floor.status === "subscribed");
    const seen: ChannelMessage[] = [];
    floor.on("message", (m) => seen.push(m));

    const run = runFloorChat(
      {
        SWITCHBOARD_URL: server.wsUrl,
        TOKEN: await server.token({ sub: "ann", role: "agent", name: "Ann" }),
      },
      "back in five minutes\n",
    );
    const code = await run.exited;
    const { stdout, stderr } = run.output();
    expect(stderr).not.toContain("not sent");
    expect(code).toBe(0);
    expect(stdout).toContain("[closed]");
    await waitFor(() => seen.length > 0);
    await new Promise((r) => setTimeout(r, 200)); // a second copy would be right behind
    expect(seen.map((m) => m.data)).toEqual(["back in five minutes"]);
    expect(seen[0]?.from?.user).toBe("ann");
  }, 60_000);
});
