// Two terminals, two users, one live channel:
//   TOKEN=$(npx switchboard token --sub ann --role agent --name Ann) node examples/floor-chat.mjs
//   TOKEN=$(npx switchboard token --sub bo --role agent --name Bo) node examples/floor-chat.mjs
// Type a line and press Enter to publish it; both terminals print it, with joins and leaves.
// Input can be piped too: `echo "back in 5" | TOKEN=… node examples/floor-chat.mjs` sends the
// line and exits.
import { createInterface } from "node:readline";
import { Switchboard } from "@switchboard/client";

const url = process.env.SWITCHBOARD_URL ?? "ws://127.0.0.1:8080/ws";
const token = process.env.TOKEN;
if (!token) {
  console.error("Set TOKEN (npx switchboard token --sub ann --role agent)");
  process.exit(1);
}

const client = new Switchboard({ url, token, client: { name: "floor-chat", version: "1" } });
client.on("state", (state) => console.log(`[${state}]`));
client.connect();

const floor = client.subscribe("staff:floor", { presence: true });
floor.on("message", (m) => console.log(`${m.from?.user ?? "server"}: ${JSON.stringify(m.data)}`));
floor.on("join", (member) => console.log(`→ ${member.name ?? member.user} joined`));
floor.on("leave", (member) => console.log(`← ${member.name ?? member.user} left`));
floor.on("gap", () => console.log("(missed messages while away: history no longer has them)"));

const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  if (!line.trim()) return;
  floor.publish("note", line).catch((error) => {
    console.error(`not sent: ${error.message}`);
    process.exitCode = 1;
  });
});
// End of input (Ctrl-D, or the end of a pipe): close() first sends what is still on its way
// (connecting, queued or waiting for the reply, up to 5 s), then closes; the process then exits.
input.on("close", () => void client.close());
