import type { Resource, Service } from "@switchboard/server/contracts/appointments";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../app/api.js";
import { formatHours, parseHours, parseWeek, WEEK, WEEKDAY_NAMES } from "./hours.js";
import { useToken } from "./useCalendar.js";

const PURPOSES = [
  ["", "Nothing else"],
  ["drop-off", "Repair drop-off (creates the repair order)"],
  ["test-drive", "Test drive (creates the test-drive order)"],
  ["pickup", "Pickup (offered when a repair is ready)"],
] as const;

const emptyService = { id: "", name: "", duration: "30", buffer: "0", capacity: "1", purpose: "" };
const emptyWeek = Object.fromEntries(WEEK.map((d) => [d, ""])) as Record<
  (typeof WEEK)[number],
  string
>;
const emptyResource = {
  id: "",
  name: "",
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  services: [] as string[],
  week: emptyWeek,
};

/**
 * Staff set up the calendar: services (duration, cleanup buffer, capacity, purpose), resources
 * (time zone, services offered, weekly hours; gaps are breaks, an empty day is off) and one
 * day's exceptions. Each form saves with the same PUT the REST API documents; the server's
 * refusals show as sentences.
 */
export function StaffCatalog() {
  const token = useToken();
  const [services, setServices] = useState<Service[]>([]);
  const [resources, setResources] = useState<Resource[]>([]);
  const [svc, setSvc] = useState(emptyService);
  const [res, setRes] = useState(emptyResource);
  const [exception, setException] = useState({ date: "", hours: "", note: "" });
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const reload = useCallback(async () => {
    const [s, r] = await Promise.all([
      api<{ services: Service[] }>(token, "GET", "/api/appointments/services"),
      api<{ resources: Resource[] }>(token, "GET", "/api/appointments/resources"),
    ]);
    setServices(s.services);
    setResources(r.resources);
  }, [token]);
  useEffect(() => {
    void reload();
  }, [reload]);

  const run = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      await reload();
      setMessage({ ok: true, text: `${what} saved.` });
    } catch (e) {
      setMessage({ ok: false, text: errorText(e) });
    }
  };

  const saveService = (e: FormEvent) => {
    e.preventDefault();
    void run(`Service ${svc.id}`, () =>
      api(token, "PUT", `/api/appointments/services/${encodeURIComponent(svc.id)}`, {
        name: svc.name,
        durationMinutes: Number(svc.duration),
        bufferMinutes: Number(svc.buffer),
        capacity: Number(svc.capacity),
        ...(svc.purpose && { purpose: svc.purpose }),
      }),
    );
  };

  const saveResource = (e: FormEvent) => {
    e.preventDefault();
    const week = parseWeek(res.week);
    if ("error" in week) {
      setMessage({ ok: false, text: week.error });
      return;
    }
    void run(`Resource ${res.id}`, () =>
      api(token, "PUT", `/api/appointments/resources/${encodeURIComponent(res.id)}`, {
        name: res.name,
        timeZone: res.timeZone,
        services: res.services,
        hours: week.hours,
      }),
    );
  };

  const saveException = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseHours(exception.hours);
    if ("error" in parsed) {
      setMessage({ ok: false, text: parsed.error });
      return;
    }
    void run(`${exception.date} of ${res.id}`, () =>
      api(
        token,
        "PUT",
        `/api/appointments/resources/${encodeURIComponent(res.id)}/exceptions/${exception.date}`,
        { hours: parsed.hours, ...(exception.note && { note: exception.note }) },
      ),
    );
  };

  const editResource = (r: Resource) =>
    setRes({
      id: r.id,
      name: r.name,
      timeZone: r.timeZone,
      services: r.services,
      week: Object.fromEntries(WEEK.map((d) => [d, formatHours(r.hours[d])])) as typeof emptyWeek,
    });
  const current = resources.find((r) => r.id === res.id);

  return (
    <div className="catalog" data-testid="catalog">
      {message && (
        <p className={message.ok ? "muted" : "error"} role={message.ok ? "status" : "alert"}>
          {message.text}
        </p>
      )}
      <section className="card" aria-labelledby="services-heading">
        <h2 id="services-heading">Services</h2>
        <ul className="plain">
          {services.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className="ghost"
                onClick={() =>
                  setSvc({
                    id: s.id,
                    name: s.name,
                    duration: String(s.durationMinutes),
                    buffer: String(s.bufferAfterMinutes),
                    capacity: String(s.capacity),
                    purpose: s.purpose ?? "",
                  })
                }
              >
                Edit
              </button>{" "}
              <strong>{s.name}</strong> ({s.id}): {s.durationMinutes} min
              {s.bufferAfterMinutes ? ` + ${s.bufferAfterMinutes} min cleanup` : ""}
              {s.capacity > 1 ? `, ${s.capacity} per slot` : ""}
              {s.purpose ? `, ${s.purpose}` : ""}
            </li>
          ))}
        </ul>
        <form className="row wrap" onSubmit={saveService} aria-label="Service">
          <label>
            Id{" "}
            <input
              required
              value={svc.id}
              onChange={(e) => setSvc({ ...svc, id: e.target.value })}
            />
          </label>
          <label>
            Name{" "}
            <input
              required
              value={svc.name}
              onChange={(e) => setSvc({ ...svc, name: e.target.value })}
            />
          </label>
          <label>
            Minutes{" "}
            <input
              type="number"
              min={5}
              step={5}
              value={svc.duration}
              onChange={(e) => setSvc({ ...svc, duration: e.target.value })}
            />
          </label>
          <label>
            Cleanup{" "}
            <input
              type="number"
              min={0}
              step={5}
              value={svc.buffer}
              onChange={(e) => setSvc({ ...svc, buffer: e.target.value })}
            />
          </label>
          <label>
            Per slot{" "}
            <input
              type="number"
              min={1}
              value={svc.capacity}
              onChange={(e) => setSvc({ ...svc, capacity: e.target.value })}
            />
          </label>
          <label>
            Purpose{" "}
            <select
              value={svc.purpose}
              onChange={(e) => setSvc({ ...svc, purpose: e.target.value })}
            >
              {PURPOSES.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Save service</button>
        </form>
      </section>

      <section className="card" aria-labelledby="resources-heading">
        <h2 id="resources-heading">Resources</h2>
        <ul className="plain">
          {resources.map((r) => (
            <li key={r.id}>
              <button type="button" className="ghost" onClick={() => editResource(r)}>
                Edit
              </button>{" "}
              <strong>{r.name}</strong> ({r.id}, {r.timeZone}):{" "}
              {r.services.join(", ") || "no services"}
            </li>
          ))}
        </ul>
        <form onSubmit={saveResource} aria-label="Resource">
          <div className="row wrap">
            <label>
              Id{" "}
              <input
                required
                value={res.id}
                onChange={(e) => setRes({ ...res, id: e.target.value })}
              />
            </label>
            <label>
              Name{" "}
              <input
                required
                value={res.name}
                onChange={(e) => setRes({ ...res, name: e.target.value })}
              />
            </label>
            <label>
              Time zone{" "}
              <input
                required
                value={res.timeZone}
                onChange={(e) => setRes({ ...res, timeZone: e.target.value })}
              />
            </label>
          </div>
          <fieldset className="row wrap">
            <legend>Offers</legend>
            {services.map((s) => (
              <label key={s.id}>
                <input
                  type="checkbox"
                  checked={res.services.includes(s.id)}
                  onChange={(e) =>
                    setRes({
                      ...res,
                      services: e.target.checked
                        ? [...res.services, s.id]
                        : res.services.filter((x) => x !== s.id),
                    })
                  }
                />{" "}
                {s.name}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Weekly hours (09:00-12:00, 13:00-18:00; empty: day off)</legend>
            {WEEK.map((d) => (
              <label key={d} className="row">
                <span className="weekday">{WEEKDAY_NAMES[d]}</span>
                <input
                  value={res.week[d]}
                  onChange={(e) => setRes({ ...res, week: { ...res.week, [d]: e.target.value } })}
                />
              </label>
            ))}
          </fieldset>
          <button type="submit">Save resource</button>
        </form>
        {current && (
          <form className="row wrap" onSubmit={saveException} aria-label="Exception">
            <strong>One day of {current.name}:</strong>
            <label>
              Date{" "}
              <input
                type="date"
                required
                value={exception.date}
                onChange={(e) => setException({ ...exception, date: e.target.value })}
              />
            </label>
            <label>
              Hours{" "}
              <input
                placeholder="empty: closed"
                value={exception.hours}
                onChange={(e) => setException({ ...exception, hours: e.target.value })}
              />
            </label>
            <label>
              Note{" "}
              <input
                value={exception.note}
                onChange={(e) => setException({ ...exception, note: e.target.value })}
              />
            </label>
            <button type="submit">Save day</button>
            <ul className="plain" aria-label="Exceptions">
              {current.exceptions.map((x) => (
                <li key={x.date}>
                  {x.date}: {formatHours(x.hours) || "closed"}
                  {x.note ? ` (${x.note})` : ""}{" "}
                  <button
                    type="button"
                    className="ghost"
                    onClick={() =>
                      void run(`${x.date} of ${current.id}`, () =>
                        api(
                          token,
                          "DELETE",
                          `/api/appointments/resources/${encodeURIComponent(current.id)}/exceptions/${x.date}`,
                        ),
                      )
                    }
                  >
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          </form>
        )}
      </section>
    </div>
  );
}
