import { PROTOCOL_NAME } from "@switchboard/protocol";
import type { SocketLike } from "./transport.js";

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
/** WebSocket's "closed abnormally" code: the stream broke without a close event. */
const ABNORMAL = 1006;
/** A POST or poll that failed on the network is sent again (same seq or ack: applied once). */
const POST_ATTEMPTS = 3;
/** Answers 429 (too many requests from this address) are waited out this many times in a row. */
const RATE_LIMITED_ATTEMPTS = 5;

/** How the server's frames come: one long event stream, or long polls (for buffering proxies). */
export type HttpMode = "stream" | "poll";

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
 *
 * In poll mode (for proxies that hold a streaming response back until it ends) the server's
 * frames come as answers to long polls (`POST /ws/poll`), one at a time: each answer is a
 * numbered batch, and the next poll acknowledges it by number (a poll retried after a network
 * failure gets the same batch again).
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
  /** Poll mode: the number of the last batch received. */
  #ack = 0;

  constructor(
    url: string,
    readonly mode: HttpMode = "stream",
  ) {
    this.#base = httpBaseOf(url);
    void (mode === "poll" ? this.#poll() : this.#read());
  }

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error("the fallback stream is not open");
    this.#outbox.push(data);
    if (!this.#posting) void this.#post();
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    if (this.mode === "poll" && this.readyState === OPEN) {
      // A poll session has no connection whose end the server would see: say so. Best effort
      // (keepalive: it may outlive a closing page); one that is lost ends by the ping timeout.
      const body = JSON.stringify({
        stream: this.#stream,
        key: this.#key,
        ack: this.#ack,
        close: true,
      });
      fetch(`${this.#base}/poll`, {
        method: "POST",
        headers: { "content-type": "text/plain;charset=UTF-8" },
        body,
        keepalive: true,
      }).then(
        (res) => res.body?.cancel(),
        () => undefined,
      );
    }
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

  async #poll(): Promise<void> {
    let body = "{}";
    while (this.readyState < CLOSING) {
      const text = await this.#request("poll", body);
      if (text === undefined) return; // failed, or closed meanwhile
      for (const block of text.split("\n\n")) if (block) this.#onEvent(block);
      if (this.#closedWith) break;
      body = JSON.stringify({ stream: this.#stream, key: this.#key, ack: this.#ack });
    }
    const closed = this.#closedWith ?? { code: ABNORMAL, reason: "fallback poll ended" };
    this.#finish(closed.code, closed.reason);
  }

  /**
   * One POST to /ws/{path}, retried on network failures and after 429s; the answer's text, or
   * undefined when it failed for good (the socket is then closed) or the socket closed meanwhile.
   */
  async #request(path: "poll" | "send", body: string): Promise<string | undefined> {
    const ok = path === "poll" ? 200 : 202;
    let failures = 0;
    let limited = 0;
    for (;;) {
      let res: Response;
      try {
        res = await fetch(`${this.#base}/${path}`, {
          method: "POST",
          headers: { "content-type": "text/plain;charset=UTF-8" },
          body,
          cache: "no-store",
          signal: this.#abort.signal,
        });
      } catch (error) {
        if (this.readyState >= CLOSING) return undefined;
        if (++failures >= POST_ATTEMPTS) {
          this.#fail(`fallback ${path} failed: ${(error as Error).message}`);
          return undefined;
        }
        await delay(100 * failures);
        continue;
      }
      if (res.status === 429 && ++limited <= RATE_LIMITED_ATTEMPTS) {
        await res.body?.cancel();
        const seconds = Number(res.headers.get("retry-after"));
        await delay(Math.min(10_000, Number.isFinite(seconds) ? seconds * 1000 : 1000));
        if (this.readyState >= CLOSING) return undefined;
        continue;
      }
      if (res.status !== ok) {
        await res.body?.cancel();
        this.#fail(`fallback ${path} refused: HTTP ${res.status}`);
        return undefined;
      }
      try {
        return await res.text();
      } catch (error) {
        // The answer broke off on the way: asking again gets it again (same seq or ack).
        if (this.readyState >= CLOSING) return undefined;
        if (++failures >= POST_ATTEMPTS) {
          this.#fail(`fallback ${path} failed: ${(error as Error).message}`);
          return undefined;
        }
      }
    }
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
    } else if (event === "batch") {
      this.#ack = (JSON.parse(data) as { n: number }).n;
    }
  }

  /** Sends what is waiting in one POST; then the next batch, until the outbox is empty. */
  async #post(): Promise<void> {
    this.#posting = true;
    while (this.#outbox.length > 0 && this.readyState === OPEN) {
      const frames = this.#outbox.splice(0, 100);
      const head = JSON.stringify({ stream: this.#stream, key: this.#key, seq: ++this.#seq });
      const body = `${head}\n${frames.join("\n")}`;
      if ((await this.#request("send", body)) === undefined) return;
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
