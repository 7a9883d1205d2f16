import type { Appointment, Resource, Service } from "@switchboard/server/contracts/appointments";
import { STAFF_APPOINTMENTS_CHANNEL } from "@switchboard/server/names/appointments";
import { AppointmentActions } from "./Actions.js";
import { clock, dayBounds } from "./format.js";
import { useAppointments } from "./useCalendar.js";
import { utilization, weekOf } from "./week.js";

const SHOWN = new Set(["held", "confirmed", "checked_in", "no_show"]);

function weekdayLabel(date: string): string {
  return new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  }).format(new Date(`${date}T12:00:00Z`));
}

/**
 * One resource's week, Monday to Sunday: each day's appointments in time order with the same
 * quick actions as the day view, and how much of the day's open time is booked. Live from
 * staff:appointments like the day view.
 */
export function StaffWeek({
  resource,
  services,
  day,
  act,
}: {
  resource: Resource;
  services: Service[];
  day: string;
  act: (a: Appointment, verb: string) => void;
}) {
  const days = weekOf(day);
  const from = dayBounds(days[0] as string).from;
  const to = dayBounds(days[6] as string).to;
  const { items } = useAppointments(
    `resource=${encodeURIComponent(resource.id)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=500`,
    STAFF_APPOINTMENTS_CHANNEL,
  );
  const serviceName = (id: string) => services.find((s) => s.id === id)?.name ?? id;
  const all = (items ?? []).filter((a) => a.resourceId === resource.id);
  return (
    <div className="week-grid" data-testid="week-grid" data-resource={resource.id}>
      {days.map((date) => {
        const mine = all
          .filter((a) => a.day === date && SHOWN.has(a.status))
          .sort((a, b) => a.start.localeCompare(b.start));
        const used = utilization(resource, date, all);
        return (
          <section key={date} className="card week-day" aria-label={date} data-day={date}>
            <h2>{weekdayLabel(date)}</h2>
            <p className="muted small" data-testid="utilization">
              {used === null ? "Closed" : `${used}% booked`}
            </p>
            {used !== null && (
              <meter
                className="meter"
                aria-label={`${date} booked`}
                min={0}
                max={100}
                value={used}
              />
            )}
            {mine.length === 0 ? (
              <p className="muted small">No appointments.</p>
            ) : (
              <ol className="appointment-list">
                {mine.map((a) => (
                  <li key={a.id} data-status={a.status} data-start={a.start}>
                    <strong>
                      {clock(a.start, a.timeZone)}–{clock(a.end, a.timeZone)}
                    </strong>{" "}
                    {serviceName(a.serviceId)} · {a.customerId}{" "}
                    <span className={`badge status-${a.status}`}>{a.status.replace("_", "-")}</span>
                    <AppointmentActions a={a} act={act} />
                  </li>
                ))}
              </ol>
            )}
          </section>
        );
      })}
    </div>
  );
}
