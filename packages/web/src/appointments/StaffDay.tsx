import "./appointments.css";
import type { Appointment } from "@switchboard/server/contracts/appointments";
import { STAFF_APPOINTMENTS_CHANNEL } from "@switchboard/server/names/appointments";
import { useState } from "react";
import { api, errorText } from "../app/api.js";
import { clock, dayBounds, today } from "./format.js";
import { useAppointments, useCatalog, useToken } from "./useCalendar.js";

const SHOWN = new Set(["held", "confirmed", "no_show"]);

/**
 * The staff day view: one column per resource (chair, bay, car), its appointments of the day in
 * time order, live from staff:appointments (a hold shows the moment a customer makes it), with
 * quick actions: confirm a hold for the customer, cancel, mark a no-show.
 */
export function StaffDay() {
  const token = useToken();
  const { services, resources } = useCatalog();
  const [day, setDay] = useState(today());
  const [error, setError] = useState<string>();
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
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="day-grid" data-testid="day-grid">
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
                      <span className="row">
                        {a.status === "held" && (
                          <button
                            type="button"
                            className="secondary"
                            onClick={() => void act(a, "confirm")}
                          >
                            Confirm
                          </button>
                        )}
                        {(a.status === "held" || a.status === "confirmed") && (
                          <button
                            type="button"
                            className="ghost"
                            onClick={() => void act(a, "cancel")}
                          >
                            Cancel
                          </button>
                        )}
                        {a.status === "confirmed" && Date.parse(a.start) <= Date.now() && (
                          <button
                            type="button"
                            className="ghost"
                            onClick={() => void act(a, "no-show")}
                          >
                            No-show
                          </button>
                        )}
                      </span>
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
