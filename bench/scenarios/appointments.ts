/**
 * Appointments (Switchboard only, issue 15), on SQLite and on PostgreSQL (when reachable):
 * 1. Holds racing over 100 slots: 100 HTTP clients, each a customer with its own JWT, try every
 *    slot of one resource in their own random order until all are taken. Holds/s counts every
 *    answer (201 or 409 slot_taken) over the race. Zero double bookings is checked: exactly one
 *    hold per slot, and the resource's held appointments cover 100 distinct starts. Target
 *    ≥ 2,000 holds/s.
 *    In the same run, two figures to read it against: the anchor (the same 100 clients sending
 *    the same number of hold requests that validation refuses: HTTP, JSON and the token check
 *    alone — the ceiling of this machine and load generator) and distinct slots (every client
 *    holds slots nobody else wants: every answer a 201, the write path with group commit).
 * 2. Slot search p99 for a resource with a year of bookings (a booking every other slot).
 */
import { Agent } from "node:http";
import { SignJWT } from "jose";
import pg from "pg";
import type { Ctx } from "../lib/context.js";
import { Histogram } from "../lib/histogram.js";
import { BENCH_API_KEY, BENCH_SECRET, type ServerName } from "../lib/servers.js";
import { send, startNode } from "./reservations.js";

const CLIENTS = 100;
const SLOTS = 100;
const TARGET = 2000;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const FIRST_DAY = Date.parse("2027-01-04T00:00:00Z");
const HALF_HOUR = 30 * 60_000;
const allDay = Object.fromEntries(
  ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, [["00:00", "24:00"]]]),
);

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function put(agent: Agent, port: number, path: string, body: unknown): Promise<void> {
  const r = await send(agent, port, "PUT", path, BENCH_API_KEY, body);
  if (r.status !== 200) throw new Error(`PUT ${path}: ${r.status} ${r.body}`);
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

async function race(port: number, resource: string, tokens: string[], agent: Agent) {
  const starts = Array.from({ length: SLOTS }, (_, i) =>
    new Date(FIRST_DAY + i * HALF_HOUR).toISOString(),
  );
  const latency = new Histogram();
  const winners = new Map<string, number>();
  let answers = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    tokens.map(async (token) => {
      for (const start of shuffled(starts)) {
        const s = performance.now();
        const r = await send(agent, port, "POST", "/api/appointments/holds", token, {
          service: "bench-cut",
          resourceId: resource,
          start,
        });
        latency.recordMs(performance.now() - s);
        answers++;
        if (r.status === 201) winners.set(start, (winners.get(start) ?? 0) + 1);
        else if (!(r.status === 409 && r.body.includes("slot_taken"))) {
          failures.push(`${r.status} ${r.body.slice(0, 120)}`);
          if (failures.length > 20) return;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const held = JSON.parse(
    (
      await send(
        agent,
        port,
        "GET",
        `/api/appointments?resource=${resource}&status=held&limit=500`,
        BENCH_API_KEY,
      )
    ).body,
  ) as { items: { start: string }[] };
  const distinct = new Set(held.items.map((a) => a.start)).size;
  const exact =
    winners.size === SLOTS &&
    [...winners.values()].every((n) => n === 1) &&
    held.items.length === SLOTS &&
    distinct === SLOTS;
  return { answers, seconds, latency, exact, failures, held: held.items.length, distinct };
}

/**
 * The same number of answers as the race, but each client asks for its own slots (every answer a
 * 201: the write path) or sends a body validation refuses (`anchor`: no appointment work at all).
 */
async function parallel(
  port: number,
  resource: string,
  tokens: string[],
  agent: Agent,
  kind: "distinct" | "anchor",
) {
  const latency = new Histogram();
  let created = 0;
  let answers = 0;
  const t0 = performance.now();
  await Promise.all(
    tokens.map(async (token, c) => {
      for (let k = 0; k < SLOTS; k++) {
        const start = new Date(FIRST_DAY + (c * SLOTS + k) * HALF_HOUR).toISOString();
        const body =
          kind === "anchor"
            ? { service: "bench-cut", resourceId: resource, start: "not a time" }
            : { service: "bench-cut", resourceId: resource, start };
        const s = performance.now();
        const r = await send(agent, port, "POST", "/api/appointments/holds", token, body);
        latency.recordMs(performance.now() - s);
        answers++;
        if (r.status === 201) created++;
      }
    }),
  );
  return { answers, created, seconds: (performance.now() - t0) / 1000, latency };
}

/** A year of bookings on one resource (every other half hour), then slot searches of one day. */
async function search(ctx: Ctx, port: number, token: string, agent: Agent) {
  // a year even with --quick: what the issue asks the search to be measured against
  const days = 365;
  const perDay = 24; // every other half hour of 48
  const starts: string[] = [];
  for (let d = 0; d < days; d++)
    for (let k = 0; k < perDay; k++)
      starts.push(new Date(FIRST_DAY + d * 86_400_000 + k * 2 * HALF_HOUR).toISOString());
  for (let i = 0; i < starts.length; i += 100)
    await Promise.all(
      starts.slice(i, i + 100).map((start, k) =>
        send(agent, port, "POST", "/api/appointments/holds", BENCH_API_KEY, {
          service: "bench-cut",
          resourceId: "bench-year",
          start,
          customerId: `c${(i + k) % 500}`,
        }),
      ),
    );
  const latency = new Histogram();
  const searches = ctx.plan.quick ? 200 : 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (done < searches) {
        done++;
        const day = new Date(FIRST_DAY + Math.floor(Math.random() * days) * 86_400_000)
          .toISOString()
          .slice(0, 10);
        const s = performance.now();
        const r = await send(
          agent,
          port,
          "GET",
          `/api/appointments/slots?service=bench-cut&resource=bench-year&from=${day}`,
          token,
        );
        latency.recordMs(performance.now() - s);
        if (r.status !== 200) throw new Error(`slots: ${r.status} ${r.body}`);
      }
    }),
  );
  return { bookings: starts.length, searches, latency };
}

export async function appointments(ctx: Ctx, name: ServerName): Promise<void> {
  if (name !== "switchboard") return; // the anchors have no appointments
  const tokens = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) =>
      new SignJWT({ role: "customer" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(`bench-booker-${i}`)
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(new TextEncoder().encode(BENCH_SECRET)),
    ),
  );
  for (const dialect of ["sqlite", "postgres"] as const) {
    const label = `holds/s over ${SLOTS} slots (${dialect}, ${CLIENTS} clients)`;
    if (dialect === "postgres" && !(await postgresReachable())) {
      ctx.note(`${label}: skipped, PostgreSQL not reachable at ${POSTGRES_URL}`);
      continue;
    }
    const srv = await startNode(ctx, dialect, {
      SWITCHBOARD_APPOINTMENTS_HOLD_SECONDS: "3600",
      SWITCHBOARD_APPOINTMENTS_SLOT_STEP_MINUTES: "30",
    });
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    try {
      await put(agent, srv.port, "/api/appointments/services/bench-cut", {
        name: "Bench cut",
        durationMinutes: 30,
      });
      for (const id of ["bench-warm", "bench-race", "bench-year", "bench-distinct"])
        await put(agent, srv.port, `/api/appointments/resources/${id}`, {
          name: id,
          timeZone: "UTC",
          services: ["bench-cut"],
          hours: allDay,
        });
      await race(srv.port, "bench-warm", tokens, agent); // JIT, pools, caches
      const r = await race(srv.port, "bench-race", tokens, agent);
      const rate = r.answers / r.seconds;
      const verdict = r.exact
        ? "0 double bookings"
        : `NOT EXACT: ${r.held} held, ${r.distinct} distinct starts`;
      const target = `target ≥ ${TARGET}/s ${rate >= TARGET ? "met" : "MISSED"}`;
      ctx.progress(
        `appointments ${dialect}: ${rate.toFixed(0)} holds/s (${r.answers} answers in ${r.seconds.toFixed(2)} s), ` +
          `p50 ${r.latency.percentileMs(50).toFixed(2)} ms p99 ${r.latency.percentileMs(99).toFixed(2)} ms, ${verdict}; ${target}` +
          (r.failures.length ? `; failures: ${r.failures.slice(0, 3).join("; ")}` : ""),
      );
      ctx.add({
        name: label,
        server: name,
        deliveriesPerSec: rate,
        p50Ms: r.latency.percentileMs(50),
        p99Ms: r.latency.percentileMs(99),
        cpuMicrosPerDelivery: null,
        rssBytes: null,
        rssBytesPerConn: null,
        note: `${rate.toFixed(0)} holds/s; ${verdict}; ${target}`,
      });
      if (!r.exact || r.failures.length) ctx.note(`${label}: ${verdict}`);

      // Read the race against the ceiling of this machine, measured right after it.
      const anchor = await parallel(srv.port, "bench-race", tokens, agent, "anchor");
      const anchorRate = anchor.answers / anchor.seconds;
      const distinct = await parallel(srv.port, "bench-distinct", tokens, agent, "distinct");
      const distinctRate = distinct.answers / distinct.seconds;
      ctx.progress(
        `appointments ${dialect}: anchor (same requests refused by validation) ${anchorRate.toFixed(0)}/s; ` +
          `race = ${((rate / anchorRate) * 100).toFixed(0)}% of it; distinct slots ${distinctRate.toFixed(0)} holds/s ` +
          `(${distinct.created} of ${distinct.answers} created), p50 ${distinct.latency.percentileMs(50).toFixed(2)} ms p99 ${distinct.latency.percentileMs(99).toFixed(2)} ms`,
      );
      ctx.add({
        name: `holds/s, distinct slots (${dialect}, ${CLIENTS} clients)`,
        server: name,
        deliveriesPerSec: distinctRate,
        p50Ms: distinct.latency.percentileMs(50),
        p99Ms: distinct.latency.percentileMs(99),
        cpuMicrosPerDelivery: null,
        rssBytes: null,
        rssBytesPerConn: null,
        note: `every answer a 201 (${distinct.created}/${distinct.answers}); anchor ${anchorRate.toFixed(0)}/s, race ${((rate / anchorRate) * 100).toFixed(0)}% of the anchor`,
      });

      const s = await search(ctx, srv.port, tokens[0] as string, agent);
      ctx.progress(
        `appointments ${dialect}: slot search with ${s.bookings} bookings on the resource: ` +
          `p50 ${s.latency.percentileMs(50).toFixed(2)} ms p99 ${s.latency.percentileMs(99).toFixed(2)} ms (${s.searches} searches, 20 at a time)`,
      );
      ctx.add({
        name: `slot search, a year of bookings (${dialect})`,
        server: name,
        deliveriesPerSec: null,
        p50Ms: s.latency.percentileMs(50),
        p99Ms: s.latency.percentileMs(99),
        cpuMicrosPerDelivery: null,
        rssBytes: null,
        rssBytesPerConn: null,
        note: `${s.bookings} bookings; ${s.searches} one-day searches`,
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- switchboard output ---\n${srv.tail()}`);
    } finally {
      agent.destroy();
      await srv.stop();
    }
  }
}
