// Anchor (b): Socket.IO 4 with rooms — what users pick today.
// "subscribe" (channel, ack) joins the room; "publish" (channel, data) broadcasts
// "message" {channel, data} to the room (Socket.IO encodes a broadcast once).
// Dev-only: started by bench/run.ts with PORT set; listens on 127.0.0.1 only.
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.PORT ?? 0);
const http = createServer();
const io = new Server(http, {
  serveClient: false,
  perMessageDeflate: false,
  cors: { origin: false },
});

io.on("connection", (socket) => {
  socket.on("subscribe", (channel, ack) => {
    if (typeof channel !== "string") return;
    socket.join(channel);
    if (typeof ack === "function") ack(true);
  });
  socket.on("publish", (channel, data) => {
    if (typeof channel !== "string") return;
    io.to(channel).emit("message", { channel, data });
  });
});

http.listen(port, "127.0.0.1", () => {
  const addr = http.address();
  console.log(`LISTENING ${typeof addr === "object" && addr ? addr.port : port}`);
});
const stop = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
