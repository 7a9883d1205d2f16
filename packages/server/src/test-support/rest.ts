import type { TestServer } from "../testing.js";

/**
 * One REST call against a test server, as a client would make it: JSON in (a string body is
 * sent as it is, to test broken JSON), status and parsed JSON out. The API key unless `token`
 * says otherwise; `null` sends no credentials.
 */
export async function restCall(
  server: Pick<TestServer, "url" | "apiKey">,
  method: string,
  path: string,
  { body, token = server.apiKey }: { body?: unknown; token?: string | null } = {},
) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(token !== null && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
