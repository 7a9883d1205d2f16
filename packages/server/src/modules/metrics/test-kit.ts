import { restCall } from "../../test-support/rest.js";
import type { TestServer } from "../../testing.js";
import type { ActivityPage, Overview } from "./contract.js";

/** Polls `read` until `done` holds (generous limit: a busy machine). */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (v: T) => boolean,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not met in ${ms} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function overview(
  server: { url: string; apiKey?: string },
  period = "today",
): Promise<Overview> {
  const r = await restCall(server, "GET", `/api/metrics/overview?period=${period}`);
  if (r.status !== 200) throw new Error(`overview ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as Overview;
}

export async function activity(server: TestServer, query = ""): Promise<ActivityPage> {
  const r = await restCall(server, "GET", `/api/metrics/activity${query}`);
  if (r.status !== 200) throw new Error(`activity ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body as ActivityPage;
}

/** Fails the test on a REST answer other than `status`. */
export async function ok(
  reply: Promise<{ status: number; body: unknown }>,
  status: number | number[] = [200, 201],
): Promise<ReturnType<typeof JSON.parse>> {
  const r = await reply;
  if (!(Array.isArray(status) ? status : [status]).includes(r.status))
    throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}
