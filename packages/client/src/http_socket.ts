import { PROTOCOL_NAME } from "@switchboard/protocol";
import type { SocketLike } from "./transport.js";

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
/** WebSocket's "closed abnormally" code: the stream broke without a close event. */
const ABNORMAL = 1006;
/** A POST that failed on the network is sent again (same seq: the server applies it once). */
const POST_ATTEMPTS = 3;

/** `ws://host/ws` → `http://host/ws` (and wss → https): where the fallback's endpoints live. */
export function httpBaseOf(url: string): string {
  return url.replace(/^ws(s?):\/\//i, "http$1://").replace(/\/+$/, "");
}

/**
 * The HTTP fallback as a WebSocket look-alike, so the connection logic above it is the same for
 * both transports. Server → client: a `text/event-stream` response read with fetch (not
 * EventSource, which cannot be aborted cleanly or read `event: close`); client → server: POSTs of
 * newline-separated frames, one at a time, in order, each numbered so a retry is applied once.
 * Bodies are text/plain, so cross-origin POSTs need no preflight.
 */
export class HttpSocket implements SocketLike {
  readyState = CONNECTING;
  readonly protocol = PROTOCOL_NAME;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  readonly #base: string;
  readonly #abort = new AbortController();
  #stream = "";
  #key = "";
  #seq = 0;
  #outbox: string[] = [];
  #posting = false;
  #closedWith: { code: number; reason: string } | undefined;

  constructor(url: string) {
    this.#base = httpBaseOf(url);
    void this.#read();
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error("the fallback stream is not open");
    this.#outbox.push(data);
    if (!this.#posting) void this.#post();
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    this.#finish(code, reason);
  }

  async #read(): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.#base}/stream`, {
        headers: { accept: "text/event-stream" },
        cache: "no-store",
        signal: this.#abort.signal,
      });
    } catch (error) {
      this.#fail(`fallback stream failed: ${(error as Error).message}`);
      return;
    }
    if (res.status !== 200 || !res.body) {
      this.#fail(`fallback stream refused: HTTP ${res.status}`);
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          this.#onEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted by close(), or the network broke: either way the stream is over
    }
    const closed = this.#closedWith ?? { code: ABNORMAL, reason: "fallback stream ended" };
    this.#finish(closed.code, closed.reason);
  }

  /** One Server-Sent Event block: `event:` (open, close; none for protocol frames) and `data:`. */
  #onEvent(block: string): void {
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("data:")) data += line.slice(line.startsWith("data: ") ? 6 : 5);
      else if (line.startsWith("event:")) event = line.slice(6).trim();
    }
    if (this.readyState >= CLOSING || data === "") return;
    if (event === "message") {
      (this.onmessage as ((e: { data: string }) => void) | null)?.({ data });
    } else if (event === "open") {
      const value = JSON.parse(data) as { stream: string; key: string };
      this.#stream = value.stream;
      this.#key = value.key;
      this.readyState = OPEN;
      (this.onopen as ((e: object) => void) | null)?.({});
    } else if (event === "close") {
      this.#closedWith = JSON.parse(data) as { code: number; reason: string };
    }
  }

  /** Sends what is waiting in one POST; then the next batch, until the outbox is empty. */
  async #post(): Promise<void> {
    this.#posting = true;
    while (this.#outbox.length > 0 && this.readyState === OPEN) {
      const frames = this.#outbox.splice(0, 100);
      const head = JSON.stringify({ stream: this.#stream, key: this.#key, seq: ++this.#seq });
      const body = `${head}\n${frames.join("\n")}`;
      let refused: string | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await fetch(`${this.#base}/send`, {
            method: "POST",
            headers: { "content-type": "text/plain;charset=UTF-8" },
            body,
            signal: this.#abort.signal,
          });
          if (res.status !== 202) refused = `fallback POST refused: HTTP ${res.status}`;
          await res.body?.cancel();
          break;
        } catch (error) {
          if (this.readyState !== OPEN) return;
          if (attempt >= POST_ATTEMPTS) {
            refused = `fallback POST failed: ${(error as Error).message}`;
            break;
          }
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
      if (refused) {
        this.#fail(refused);
        return;
      }
    }
    this.#posting = false;
  }

  #fail(reason: string): void {
    (this.onerror as ((e: object) => void) | null)?.({});
    this.#finish(ABNORMAL, reason);
  }

  #finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.#abort.abort();
    // Like a WebSocket, the close event comes after the call that caused it returns.
    setTimeout(() => (this.onclose as ((e: object) => void) | null)?.({ code, reason }), 0);
  }
}
