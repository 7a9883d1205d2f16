// Anchor (c): uWebSockets.js — the fastest WebSocket server Node can run, our practical limit.
// Same bench protocol as raw-ws.mjs; fan-out uses uWS's native pub/sub (app.publish).
// Refuses to run on the package's pure-JS fallback: the native addon must have loaded.
// Dev-only: started by bench/run.ts with PORT set; listens on 127.0.0.1 only.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
if (process.env.UWS_USE_FALLBACK) {
  console.error("uws anchor: UWS_USE_FALLBACK is set; refusing to benchmark the JS fallback");
  process.exit(3);
}
const warnings = [];
const warn = console.warn;
console.warn = (...args) => warnings.push(args.join(" "));
const uWS = require("@trufflesuite/uws-js-unofficial");
console.warn = warn;
const nativeLoaded = Object.keys(require.cache).some((k) => /uws_[a-z0-9_]+\.node$/.test(k));
if (!nativeLoaded || warnings.some((w) => /fall(ing)? ?back/i.test(w))) {
  console.error(
    `uws anchor: the native uWebSockets.js addon did not load (Node ABI ${process.versions.modules}); ` +
      `it fell back to its built-in ws implementation, which is not what we benchmark.\n${warnings.join("\n")}`,
  );
  process.exit(3);
}

const port = Number(process.env.PORT ?? 0);
const decoder = new TextDecoder();
const app = uWS.App();
app.ws("/*", {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  maxBackpressure: 64 * 1024 * 1024,
  idleTimeout: 120,
  message: (ws, message) => {
    let frame;
    try {
      frame = JSON.parse(decoder.decode(message));
    } catch {
      ws.end(4400, "bad json");
      return;
    }
    if (frame.type === "subscribe" && typeof frame.channel === "string") {
      ws.subscribe(frame.channel);
      ws.send(JSON.stringify({ type: "subscribed", id: frame.id, channel: frame.channel }), false);
    } else if (frame.type === "publish" && typeof frame.channel === "string") {
      app.publish(
        frame.channel,
        JSON.stringify({ type: "message", channel: frame.channel, data: frame.data }),
        false,
      );
    }
  },
});
app.any("/*", (res) => {
  res.writeStatus("404 Not Found").end();
});
let listenSocket = null;
app.listen("127.0.0.1", port, (token) => {
  if (!token) {
    console.error(`uws anchor: could not listen on 127.0.0.1:${port}`);
    process.exit(2);
  }
  listenSocket = token;
  console.log(
    `LISTENING ${uWS.us_socket_local_port(token)} native-abi-${process.versions.modules}`,
  );
});
const stop = () => {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
