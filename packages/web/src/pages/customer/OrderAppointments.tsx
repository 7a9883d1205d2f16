import type { Order, OrderAppointment } from "@switchboard/server/contracts/orders";
import { Link } from "../../app/router.js";
import { clock, dayLabel } from "../../appointments/format.js";

/** The details entry, when it has the shape orders writes (details are free-form JSON). */
function appointmentIn(details: Record<string, unknown>, key: string): OrderAppointment | null {
  const a = details[key] as Partial<OrderAppointment> | undefined;
  return typeof a?.appointmentId === "string" &&
    typeof a.startsAt === "string" &&
    typeof a.status === "string"
    ? (a as OrderAppointment)
    : null;
}

function Row({ label, a, testId }: { label: string; a: OrderAppointment; testId: string }) {
  const zone = a.timeZone ?? "UTC";
  return (
    <li data-testid={testId} data-status={a.status}>
      {label}:{" "}
      <strong>
        {dayLabel(a.startsAt, zone)} {clock(a.startsAt, zone)}
      </strong>
      {a.resourceName && ` at ${a.resourceName}`}{" "}
      <span className={`badge status-${a.status}`}>{a.status.replace("_", " ")}</span>
    </li>
  );
}

/**
 * The appointments an order is tied to: the booking that made it (drop-off, test drive) and a
 * repair's pickup. Live through useLiveOrder (orders announces `appointment` on order:{id}).
 */
export function OrderAppointments({ order }: { order: Order }) {
  const booking = appointmentIn(order.details, "appointment");
  const pickup = appointmentIn(order.details, "pickup");
  const ready = order.status === "ready-pickup";
  if (!booking && !pickup && !ready) return null;
  return (
    <section aria-labelledby="order-appointments" className="card">
      <h2 id="order-appointments">Appointments</h2>
      <ul>
        {booking && <Row label="Booked for" a={booking} testId="order-booking" />}
        {pickup && <Row label="Pickup" a={pickup} testId="order-pickup" />}
      </ul>
      {ready && (!pickup || pickup.status === "cancelled") && (
        <p>
          Ready to collect: <Link href="/appointments">book a pickup time</Link>.
        </p>
      )}
    </section>
  );
}
