import type { ServerFrame } from "@switchboard/protocol";

type Frame = ServerFrame & Record<string, unknown>;

export interface PollAnswer {
  status: number;
  batch: number | undefined;
  frames: Frame[];
  close: { code: number; reason: string } | undefined;
  text: string;
}

/** Splits a poll answer (events in text/event-stream format) into its parts. */
export function parsePollAnswer(status: number, text: string): PollAnswer {
  const answer: PollAnswer = { status, batch: undefined, frames: [], close: undefined, text };
  if (status !== 200) return answer;
  for (const block of text.split("\n\n")) {
    if (!block) continue;
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    const value = JSON.parse(data) as Record<string, unknown>;
    if (event === "batch") answer.batch = value.n as number;
    else if (event === "close") answer.close = value as { code: number; reason: string };
    else if (event === "message") answer.frames.push(value as Frame);
  }
  return answer;
}

/**
 * A bare long-poll client of the HTTP fallback for gateway tests: polls by hand (so tests can
 * repeat an ack or poll another node), POSTs frames with its own sequence numbers.
 */
export class PollClient {
  stream = "";
  key = "";
  seq = 0;
  ack = 0;
  /** Frames polled that no `until` has taken yet. */
  readonly backlog: Frame[] = [];
  private nextId = 1;

  private constructor(
    public pollBase: string,
    public sendBase: string,
  ) {}

  static async open(base: string, sendTo = base): Promise<PollClient> {
    const client = new PollClient(base, sendTo);
    const res = await fetch(`${base}/ws/poll`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`poll open refused: ${res.status} ${text}`);
    const data = /^event: open\ndata: (.*)\n\n$/.exec(text)?.[1];
    if (!data) throw new Error(`no open event: ${text}`);
    const opened = JSON.parse(data) as { stream: string; key: string };
    client.stream = opened.stream;
    client.key = opened.key;
    return client;
  }

  /** One poll with the given ack (default: the last batch received); records the batch it got. */
  async poll(options: { ack?: number; base?: string; signal?: AbortSignal } = {}) {
    const res = await fetch(`${options.base ?? this.pollBase}/ws/poll`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ stream: this.stream, key: this.key, ack: options.ack ?? this.ack }),
      ...(options.signal && { signal: options.signal }),
    });
    const answer = parsePollAnswer(res.status, await res.text());
    if (answer.batch !== undefined) this.ack = answer.batch;
    return answer;
  }

  async post(frames: Record<string, unknown>[]): Promise<number> {
    const head = JSON.stringify({ stream: this.stream, key: this.key, seq: ++this.seq });
    const res = await fetch(`${this.sendBase}/ws/send`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: [head, ...frames.map((f) => JSON.stringify(f))].join("\n"),
    });
    await res.body?.cancel();
    return res.status;
  }

  /** Polls until a frame matches (answering pings), at most `polls` times. */
  async until(match: (f: Frame) => boolean, polls = 20): Promise<Frame> {
    for (let i = 0; i <= polls; i++) {
      const hit = this.backlog.find(match);
      if (hit) {
        this.backlog.splice(this.backlog.indexOf(hit), 1);
        return hit;
      }
      if (i === polls) break;
      const answer = await this.poll();
      if (answer.status !== 200) throw new Error(`poll refused: ${answer.status} ${answer.text}`);
      for (const f of answer.frames) {
        if (f.type === "ping") await this.post([{ type: "pong" }]);
        else this.backlog.push(f);
      }
    }
    throw new Error(`no matching frame in ${polls} polls`);
  }

  async request(frame: Record<string, unknown>): Promise<Frame> {
    const id = (frame.id as number | undefined) ?? this.nextId++;
    const status = await this.post([{ ...frame, id }]);
    if (status !== 202) throw new Error(`POST refused: ${status}`);
    return this.until((f) => (f as { id?: number }).id === id);
  }
}
