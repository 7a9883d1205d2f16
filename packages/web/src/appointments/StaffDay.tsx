import "./appointments.css";
import type { Appointment } from "@switchboard/server/contracts/appointments";
import { STAFF_APPOINTMENTS_CHANNEL } from "@switchboard/server/names/appointments";
import { useState } from "react";
import { api, errorText } from "../app/api.js";
import { AppointmentActions } from "./Actions.js";
import { clock, dayBounds, today } from "./format.js";
import { StaffCatalog } from "./StaffCatalog.js";
import { StaffWeek } from "./StaffWeek.js";
import { useAppointments, useCatalog, useToken } from "./useCalendar.js";
import { shiftWeek } from "./week.js";

const SHOWN = new Set(["held", "confirmed", "checked_in", "no_show"]);

/**
 * The staff calendar. Day: one column per resource (chair, bay, car), its appointments of the
 * day in time order, live from staff:appointments (a hold shows the moment a customer makes it),
 * with quick actions: confirm a hold for the customer, check the customer in, cancel, mark a
 * no-show. Week: one
 * resource's seven days with the same actions and how booked each day is.
 */
export function StaffDay() {
  const token = useToken();
  const [view, setView] = useState<"day" | "week" | "setup">("day");
  const { services, resources } = useCatalog(view);
  const [day, setDay] = useState(today());
  const [error, setError] = useState<string>();
  const [weekResource, setWeekResource] = useState<string>();
  const shownResource = resources.find((r) => r.id === weekResource) ?? resources[0];
  const { from, to } = dayBounds(day);
  const { items } = useAppointments(
    `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=500`,
    STAFF_APPOINTMENTS_CHANNEL,
  );
  const serviceName = (id: string) => services.find((s) => s.id === id)?.name ?? id;
  const act = async (a: Appointment, verb: string) => {
    try {
      await api(token, "POST", `/api/appointments/${a.id}/${verb}`);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const ofDay = (items ?? []).filter((a) => a.day === day && SHOWN.has(a.status));
  return (
    <div className="appointments staff-day">
      <div className="row">
        <h1>Appointments</h1>
        <label>
          Day{" "}
          <input
            type="date"
            value={day}
            onChange={(e) => e.target.value && setDay(e.target.value)}
          />
        </label>
        <fieldset className="row segmented" aria-label="View">
          {(["day", "week", "setup"] as const).map((v) => (
            <button
              key={v}
              type="button"
              className={view === v ? "secondary" : "ghost"}
              aria-pressed={view === v}
              onClick={() => setView(v)}
            >
              {v === "day" ? "Day" : v === "week" ? "Week" : "Setup"}
            </button>
          ))}
        </fieldset>
        {view === "week" && (
          <>
            <label>
              Resource{" "}
              <select
                value={shownResource?.id ?? ""}
                onChange={(e) => setWeekResource(e.target.value)}
              >
                {resources.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="ghost" onClick={() => setDay(shiftWeek(day, -1))}>
              ← Previous week
            </button>
            <button type="button" className="ghost" onClick={() => setDay(shiftWeek(day, 1))}>
              Next week →
            </button>
          </>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {view === "week" && shownResource && (
        <StaffWeek
          resource={shownResource}
          services={services}
          day={day}
          act={(a, verb) => void act(a, verb)}
        />
      )}
      {view === "setup" && <StaffCatalog />}
      <div className="day-grid" data-testid="day-grid" hidden={view !== "day"}>
        {resources.map((r) => {
          const mine = ofDay
            .filter((a) => a.resourceId === r.id)
            .sort((a, b) => a.start.localeCompare(b.start));
          return (
            <section
              key={r.id}
              className="card day-column"
              aria-label={r.name}
              data-resource={r.id}
            >
              <h2>{r.name}</h2>
              <p className="muted small">{r.timeZone}</p>
              {mine.length === 0 ? (
                <p className="muted">Free all day.</p>
              ) : (
                <ol className="appointment-list">
                  {mine.map((a) => (
                    <li key={a.id} data-status={a.status} data-start={a.start}>
                      <strong>
                        {clock(a.start, a.timeZone)}–{clock(a.end, a.timeZone)}
                      </strong>{" "}
                      {serviceName(a.serviceId)} · {a.customerId}{" "}
                      <span className={`badge status-${a.status}`}>
                        {a.status.replace("_", "-")}
                      </span>
                      <AppointmentActions a={a} act={(x, verb) => void act(x, verb)} />
                    </li>
                  ))}
                </ol>
              )}
            </section>
          );
        })}
      </div>
    </div>
  );
}
