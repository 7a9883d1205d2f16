import { useChannel } from "@switchboard/react";
import type { Resource, Service } from "@switchboard/server/contracts/appointments";
import type { Recommendations } from "@switchboard/server/contracts/pricing";
import { serviceScheduleChannel } from "@switchboard/server/names/appointments";
import { productChannel, serviceSku } from "@switchboard/server/names/pricing";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";
import { useCoalesced, useResync } from "../app/live.js";
import { Link } from "../app/router.js";
import { useSession } from "../app/session.js";
import { SkeletonCards } from "../components/Skeleton.js";
import { Factors, PriceTag } from "./LivePrice.js";

/** "Mon 4 Jan, 10:00" in the resource's zone (the shop's wall clock). */
function when(iso: string, timeZone: string | undefined): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    ...(timeZone && { timeZone }),
  }).format(new Date(iso));
}

/**
 * The cheapest upcoming times of a service (GET /api/pricing/recommendations): each free slot
 * priced at its start by the rules (peak hours cost more), cheapest first, each price explained.
 * Live: it follows the service's prices and calendar over the socket (no polling).
 */
export function CheapestTimes() {
  const token = useSession()?.token ?? null;
  const [services, setServices] = useState<Service[]>();
  const [resources, setResources] = useState<Resource[]>([]);
  const [service, setService] = useState("");
  const [days, setDays] = useState(7);
  const [answer, setAnswer] = useState<Recommendations>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  /** The choice on screen: an answer for another one is dropped. */
  const asked = useRef("");
  useEffect(() => {
    void api<{ services: Service[] }>(token, "GET", "/api/appointments/services").then(
      (r) => {
        setServices(r.services);
        setService((s) => s || (r.services[0]?.id ?? ""));
      },
      (e: unknown) => {
        setServices([]);
        setError(errorText(e));
      },
    );
    void api<{ resources: Resource[] }>(token, "GET", "/api/appointments/resources").then(
      (r) => setResources(r.resources),
      () => undefined,
    );
  }, [token]);
  const load = useCallback(async () => {
    if (!service) return;
    try {
      const r = await api<Recommendations>(
        token,
        "GET",
        `/api/pricing/recommendations?service=${encodeURIComponent(service)}&days=${days}&limit=10`,
      );
      if (asked.current !== `${service}/${days}`) return; // an answer for an earlier choice
      setAnswer(r);
      setError(undefined);
    } catch (e) {
      if (asked.current !== `${service}/${days}`) return;
      setAnswer(undefined);
      setError(
        e instanceof ApiError && e.status === 404
          ? "This service has no price yet: ask the shop."
          : errorText(e),
      );
    } finally {
      setLoading(false);
    }
  }, [token, service, days]);
  // live: a price or rule that moves the service's future prices (`price`, `forecast` on its
  // product channel) or a booking that takes or frees a time (its calendar) asks again, once
  // per burst; a recovery gap on either channel too
  const reload = useCoalesced(load, 150);
  const prices = useChannel(service ? productChannel(serviceSku(service)) : null, reload);
  const calendar = useChannel(service ? serviceScheduleChannel(service) : null, reload);
  useResync(prices.subscription, load);
  useResync(calendar.subscription, load);
  useEffect(() => {
    asked.current = `${service}/${days}`;
    if (!service) return;
    setLoading(true);
    void load();
  }, [load, service, days]);
  const zoneOf = (id: string) => resources.find((r) => r.id === id)?.timeZone;
  const nameOf = (id: string) => resources.find((r) => r.id === id)?.name ?? id;
  return (
    <section className="page">
      <h1>Cheapest times</h1>
      <p className="muted">
        Prices change with the hour: here are the least expensive free times.{" "}
        <Link href="/appointments">Book an appointment</Link>
      </p>
      {services === undefined && <SkeletonCards label="Loading services" count={3} />}
      {services?.length === 0 && !error && (
        <p className="empty" role="status">
          Nothing to book yet.
        </p>
      )}
      {services && services.length > 0 && (
        <form className="row" aria-label="Cheapest times of" onSubmit={(e) => e.preventDefault()}>
          <label>
            Service
            <select value={service} onChange={(e) => setService(e.target.value)}>
              {services.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Within
            <select value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {[1, 3, 7, 14].map((d) => (
                <option key={d} value={d}>
                  {d === 1 ? "1 day" : `${d} days`}
                </option>
              ))}
            </select>
          </label>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {loading && !answer && <p className="muted">Looking for times…</p>}
      {answer && answer.slots.length === 0 && (
        <p className="empty" role="status">
          No free times in the next {days === 1 ? "day" : `${days} days`}.
        </p>
      )}
      {answer && answer.slots.length > 0 && (
        <ol className="cheapest-slots" aria-label="Cheapest times" aria-live="polite">
          {answer.slots.map((s) => (
            <li
              key={`${s.resourceId}-${s.start}`}
              className="card"
              data-testid="cheapest-slot"
              data-start={s.start}
            >
              <strong>{when(s.start, zoneOf(s.resourceId))}</strong>{" "}
              <span className="muted small">{nameOf(s.resourceId)}</span>{" "}
              <PriceTag price={{ amount: s.final, base: answer.base, currency: answer.currency }} />
              {s.factors.length > 0 && (
                <details>
                  <summary>Why this price?</summary>
                  <Factors
                    price={{ factors: s.factors, base: answer.base, currency: answer.currency }}
                  />
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
