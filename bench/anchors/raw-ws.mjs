// Anchor (a): a minimal raw `ws` pub/sub server — the floor a Node server can reach.
// Speaks the bench protocol: {type:"subscribe",id,channel} → {type:"subscribed",id,channel};
// {type:"publish",channel,data} → every subscriber gets {type:"message",channel,data}.
// Each publication is serialized once into one Buffer that every socket sends as-is.
// Dev-only: started by bench/run.ts with PORT set; listens on 127.0.0.1 only.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.env.PORT ?? 0);
/** @type {Map<string, Set<import("ws").WebSocket>>} */
const channels = new Map();

const http = createServer((_req, res) => {
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });

wss.on("connection", (ws) => {
  /** @type {Set<string>} */
  const mine = new Set();
  ws.on("message", (raw) => {
    let frame;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      ws.close(4400, "bad json");
      return;
    }
    if (frame.type === "subscribe" && typeof frame.channel === "string") {
      let subs = channels.get(frame.channel);
      if (!subs) {
        subs = new Set();
        channels.set(frame.channel, subs);
      }
      subs.add(ws);
      mine.add(frame.channel);
      ws.send(JSON.stringify({ type: "subscribed", id: frame.id, channel: frame.channel }));
    } else if (frame.type === "publish" && typeof frame.channel === "string") {
      const subs = channels.get(frame.channel);
      if (!subs) return;
      const payload = Buffer.from(
        JSON.stringify({ type: "message", channel: frame.channel, data: frame.data }),
      );
      for (const sub of subs) sub.send(payload, { binary: false });
    }
  });
  ws.on("close", () => {
    for (const ch of mine) {
      const subs = channels.get(ch);
      subs?.delete(ws);
      if (subs?.size === 0) channels.delete(ch);
    }
  });
});

http.listen(port, "127.0.0.1", () => {
  const addr = http.address();
  console.log(`LISTENING ${typeof addr === "object" && addr ? addr.port : port}`);
});
const stop = () => {
  wss.close();
  http.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
