/** What a REST call answered: the status, the body (parsed JSON, else the text), the headers. */
export interface RestReply {
  status: number;
  // Tests read whatever the route answered; each asserts the shape it expects.
  body: ReturnType<typeof JSON.parse>;
  headers: Headers;
  /** The response is a replay of an earlier one with the same Idempotency-Key. */
  replayed: boolean;
}

export interface RestOptions {
  /** JSON-encoded unless it is a string, which is sent as it is (to test broken JSON). */
  body?: unknown;
  /** Bearer credential; default the target's API key; `null` sends no credentials. */
  token?: string | null;
  headers?: Record<string, string>;
}

/**
 * One REST call against a server (a test server, a node of a cluster, a child process), as a
 * client would make it. The one REST helper of the tests: a test binds it to its server and
 * caller in one line rather than writing its own fetch.
 */
export async function restCall(
  target: { url: string; apiKey?: string },
  method: string,
  path: string,
  { body, token = target.apiKey ?? null, headers = {} }: RestOptions = {},
): Promise<RestReply> {
  const res = await fetch(`${target.url}${path}`, {
    method,
    headers: {
      ...(token !== null && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
      ...headers,
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text || undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a download, a page): the text as it came
  }
  return {
    status: res.status,
    body: parsed,
    headers: res.headers,
    replayed: res.headers.get("idempotent-replayed") === "true",
  };
}
