import "./appointments.css";
import type { Appointment, PickupOffer, Slot } from "@switchboard/server/contracts/appointments";
import { customerChannel } from "@switchboard/server/names/appointments";
import { useEffect, useMemo, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";
import { Link } from "../app/router.js";
import { useSession } from "../app/session.js";
import { clock, dayLabel, today } from "./format.js";
import { useAppointments, useBestTimes, useCatalog, useSlots, useToken } from "./useCalendar.js";

const ACTIVE = new Set(["held", "confirmed", "checked_in"]);

/** The web imports the server's types only: the shape the offer's card reads, checked by hand. */
function isPickupOffer(data: unknown): data is PickupOffer {
  const d = data as Partial<PickupOffer> | null;
  return (
    typeof d?.orderId === "string" &&
    typeof d.serviceId === "string" &&
    typeof d.serviceName === "string" &&
    Array.isArray(d.slots) &&
    d.slots.every((s) => typeof s?.start === "string" && typeof s.resourceId === "string")
  );
}

function explain(error: unknown): string {
  if (error instanceof ApiError && error.code === "slot_taken")
    return "Someone else just took that time. Pick another one.";
  if (error instanceof ApiError && error.code === "hold_expired")
    return "Your hold ran out before you confirmed. Pick a time again.";
  return errorText(error);
}

function Countdown({ until }: { until: string }) {
  const [left, setLeft] = useState(() => Date.parse(until) - Date.now());
  useEffect(() => {
    const t = setInterval(() => setLeft(Date.parse(until) - Date.now()), 1000);
    return () => clearInterval(t);
  }, [until]);
  const s = Math.max(0, Math.round(left / 1000));
  return (
    <span data-testid="hold-countdown">
      {Math.floor(s / 60)}:{String(s % 60).padStart(2, "0")}
    </span>
  );
}

/**
 * The customer's booking screen: pick a service and a day, see the free times live (a time
 * someone else holds disappears at once), hold one, confirm it; below, their appointments with
 * reschedule and cancel.
 */
export function BookAppointment() {
  const token = useToken();
  const me = useSession()?.user ?? "";
  const { services, resources } = useCatalog();
  const [service, setService] = useState<string>();
  const [day, setDay] = useState(today());
  const [held, setHeld] = useState<Appointment>();
  const [moving, setMoving] = useState<Appointment>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!service && services[0]) setService(services[0].id);
  }, [service, services]);
  const { slots, error: slotsError } = useSlots(service, day);
  const best = useBestTimes(service, day);
  const [offer, setOffer] = useState<PickupOffer>();
  const { items } = useAppointments("limit=50", me ? customerChannel(me) : null, (m) => {
    // a repair of theirs is ready: the shop offers pickup times
    if (m.event === "pickup_offer" && isPickupOffer(m.data)) setOffer(m.data);
  });
  const byId = useMemo(() => new Map(resources.map((r) => [r.id, r])), [resources]);
  const zoneOf = (id: string) => byId.get(id)?.timeZone ?? "UTC";
  const nameOf = (id: string) => byId.get(id)?.name ?? id;
  const serviceName = (id: string) => services.find((s) => s.id === id)?.name ?? id;

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
      setError(undefined);
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };
  const pick = (slot: Slot, serviceId = service, orderId?: string) =>
    act(async () => {
      if (moving) {
        await api(token, "POST", `/api/appointments/${moving.id}/reschedule`, {
          start: slot.start,
          resourceId: slot.resourceId,
        });
        setMoving(undefined);
        return;
      }
      if (held) await api(token, "POST", `/api/appointments/${held.id}/release`);
      setHeld(undefined);
      setHeld(
        await api<Appointment>(token, "POST", "/api/appointments/holds", {
          service: serviceId,
          start: slot.start,
          resourceId: slot.resourceId,
          ...(orderId && { orderId }),
        }),
      );
    });
  const confirm = () =>
    act(async () => {
      if (!held) return;
      await api(token, "POST", `/api/appointments/holds/${held.id}/confirm`);
      setHeld(undefined);
    });
  const release = () =>
    act(async () => {
      if (!held) return;
      await api(token, "POST", `/api/appointments/${held.id}/release`);
      setHeld(undefined);
    });
  const cancel = (a: Appointment) =>
    act(async () => {
      await api(token, "POST", `/api/appointments/${a.id}/cancel`);
    });

  const mine = (items ?? []).filter((a) => ACTIVE.has(a.status) && a.id !== held?.id);
  return (
    <div className="appointments">
      <h1>Book an appointment</h1>
      <p>
        <Link href="/appointments/cheapest">See the cheapest times</Link>
      </p>
      {offer && (
        <section className="card hold" aria-labelledby="pickup-heading" data-testid="pickup-offer">
          <h2 id="pickup-heading">Your repair is ready for pickup</h2>
          <p>
            {offer.orderTitle ? `${offer.orderTitle}: ` : ""}pick a time to collect it (
            {offer.serviceName}).
          </p>
          {offer.slots.length === 0 ? (
            <p className="muted">No free pickup times this week: pick a day below.</p>
          ) : (
            <ul className="slot-list" aria-label="Pickup times">
              {offer.slots.map((s) => (
                <li key={`${s.start}|${s.resourceId}`}>
                  <button
                    type="button"
                    className="secondary slot"
                    disabled={busy}
                    onClick={() => {
                      setService(offer.serviceId);
                      setOffer(undefined);
                      // the pickup is booked for this repair: the order shows it
                      void pick(s, offer.serviceId, offer.orderId);
                    }}
                  >
                    {dayLabel(s.start, zoneOf(s.resourceId))} {clock(s.start, zoneOf(s.resourceId))}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <section aria-labelledby="pick-heading" className="card">
        <h2 id="pick-heading">{moving ? "Pick a new time" : "Pick a time"}</h2>
        <div className="row">
          <label>
            Service{" "}
            <select value={service ?? ""} onChange={(e) => setService(e.target.value)}>
              {services.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name} ({s.durationMinutes} min)
                </option>
              ))}
            </select>
          </label>
          <label>
            Day{" "}
            <input
              type="date"
              value={day}
              onChange={(e) => e.target.value && setDay(e.target.value)}
            />
          </label>
          {moving && (
            <button type="button" className="ghost" onClick={() => setMoving(undefined)}>
              Keep the current time
            </button>
          )}
        </div>
        {best && best.length > 0 && (
          <div data-testid="best-times">
            <h3 className="small">Quietest times this week</h3>
            <ul className="slot-list" aria-label="Quietest times">
              {best.map((s) => (
                <li key={`${s.start}|${s.resourceId}`}>
                  <button
                    type="button"
                    className="secondary slot"
                    data-best={s.start}
                    disabled={busy}
                    onClick={() => void pick(s)}
                    title={`${Math.round(s.busy * 100)}% of the time around it is booked`}
                  >
                    {dayLabel(s.start, zoneOf(s.resourceId))} {clock(s.start, zoneOf(s.resourceId))}
                    <span className="muted small"> {nameOf(s.resourceId)}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
        {slotsError && (
          <p className="error" role="alert">
            {slotsError}
          </p>
        )}
        {slots === undefined ? (
          <p className="muted">Loading free times…</p>
        ) : slots.length === 0 ? (
          <p className="muted">No free times that day.</p>
        ) : (
          <ul className="slot-list" aria-label="Free times" data-testid="slots">
            {slots.map((s) => (
              <li key={`${s.start}|${s.resourceId}`}>
                <button
                  type="button"
                  className="slot"
                  data-start={s.start}
                  disabled={busy}
                  onClick={() => void pick(s)}
                  aria-label={`${clock(s.start, zoneOf(s.resourceId))} with ${nameOf(s.resourceId)}`}
                >
                  {clock(s.start, zoneOf(s.resourceId))}
                  <span className="muted small"> {nameOf(s.resourceId)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </section>
      {held && (
        <section aria-label="Your hold" className="card hold" data-testid="hold">
          <p>
            Held for you: <strong>{serviceName(held.serviceId)}</strong>,{" "}
            {dayLabel(held.start, held.timeZone)} {clock(held.start, held.timeZone)} with{" "}
            {nameOf(held.resourceId)}. Confirm within{" "}
            {held.expiresAt && <Countdown until={held.expiresAt} />}.
          </p>
          <div className="row">
            <button type="button" disabled={busy} onClick={() => void confirm()}>
              Confirm booking
            </button>
            <button type="button" className="ghost" disabled={busy} onClick={() => void release()}>
              Release
            </button>
          </div>
        </section>
      )}
      <section aria-labelledby="mine-heading" className="card">
        <h2 id="mine-heading">My appointments</h2>
        {mine.length === 0 ? (
          <p className="muted">None yet.</p>
        ) : (
          <ul className="appointment-list" data-testid="my-appointments">
            {mine.map((a) => (
              <li key={a.id} data-status={a.status}>
                <strong>{serviceName(a.serviceId)}</strong> {dayLabel(a.start, a.timeZone)}{" "}
                {clock(a.start, a.timeZone)} – {clock(a.end, a.timeZone)} with{" "}
                {nameOf(a.resourceId)}{" "}
                <span className={`badge status-${a.status}`}>{a.status.replace("_", " ")}</span>{" "}
                {a.status === "confirmed" && (
                  <>
                    <button type="button" className="secondary" onClick={() => setMoving(a)}>
                      Reschedule
                    </button>{" "}
                    <button type="button" className="ghost" onClick={() => void cancel(a)}>
                      Cancel
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
