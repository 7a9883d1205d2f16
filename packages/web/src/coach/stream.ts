import type { CoachAnswer } from "@switchboard/server/contracts/chat";

export type CoachMeta = Omit<CoachAnswer, "text">;

/**
 * Asks the coach and reads its Server-Sent Events as they come (fetch, not EventSource: the
 * question is a POST). Calls `onMeta` once, `onDelta` per piece; resolves with the whole text,
 * or rejects with the server's message when the model failed midway (`partial` kept).
 */
export async function askCoach(
  token: string | null,
  question: string,
  history: { role: "user" | "coach"; text: string }[],
  on: { meta(m: CoachMeta): void; delta(text: string): void },
  signal?: AbortSignal,
): Promise<string> {
  const res = await fetch("/api/chat/coach", {
    method: "POST",
    headers: {
      accept: "text/event-stream",
      "content-type": "application/json",
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ question, history }),
    ...(signal && { signal }),
  });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(body.message ?? `the coach answered ${res.status}`);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      if (!data) continue;
      const payload = JSON.parse(data) as Record<string, unknown>;
      if (event === "meta") on.meta(payload as unknown as CoachMeta);
      else if (event === "delta") on.delta(String(payload.text));
      else if (event === "done") return String(payload.text);
      else if (event === "error") throw new Error(String(payload.message));
    }
  }
  throw new Error("the answer was cut off");
}
