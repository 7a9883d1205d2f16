/**
 * A simulator worker process (forked by workers.ts): runs its share of the actions and reports
 * over IPC. Tokens are minted by the parent, so the JWT secret never leaves it.
 */
import { type ActionsResult, runActions } from "./actions.js";
import { caller, tokenCache } from "./http.js";
import type { ToParent, ToWorker } from "./workers.js";

const send = (m: ToParent) => process.send?.(m);
const waiting = new Map<string, (token: string) => void>();

process.on("message", (m: ToWorker) => {
  if (m.type === "token") {
    waiting.get(m.sub)?.(m.token);
    waiting.delete(m.sub);
    return;
  }
  const s = m.start;
  let lastProgress = 0;
  const tokenOf = tokenCache(
    (sub, role) =>
      new Promise<string>((resolve) => {
        waiting.set(sub, resolve);
        send({ type: "token", sub, role });
      }),
  );
  runActions({
    ...s,
    call: caller(s.url, s.apiKey),
    tokenOf,
    onProgress(p) {
      const now = Date.now();
      if (now - lastProgress < 250 && p.elapsedMs < p.totalMs) return;
      lastProgress = now;
      send({ type: "progress", started: p.started, summary: p.summary });
    },
    onOrder: (id, at) => send({ type: "order", id, at }),
  }).then(
    (result: ActionsResult) => {
      send({ type: "done", result });
      process.disconnect?.();
    },
    (error: unknown) => {
      send({ type: "error", message: error instanceof Error ? error.message : String(error) });
      process.disconnect?.();
    },
  );
});
