import type { Appointment } from "@switchboard/server/contracts/appointments";

/**
 * The quick actions a staff member has on one appointment (day and week views alike). Check in
 * when the customer arrives (early is fine: the server counts lateness from the start).
 */
export function AppointmentActions({
  a,
  act,
}: {
  a: Appointment;
  act: (a: Appointment, verb: string) => void;
}) {
  return (
    <span className="row">
      {a.status === "held" && (
        <button type="button" className="secondary" onClick={() => act(a, "confirm")}>
          Confirm
        </button>
      )}
      {a.status === "confirmed" && (
        <button type="button" className="secondary" onClick={() => act(a, "check-in")}>
          Check in
        </button>
      )}
      {(a.status === "held" || a.status === "confirmed") && (
        <button type="button" className="ghost" onClick={() => act(a, "cancel")}>
          Cancel
        </button>
      )}
      {a.status === "confirmed" && Date.parse(a.start) <= Date.now() && (
        <button type="button" className="ghost" onClick={() => act(a, "no-show")}>
          No-show
        </button>
      )}
    </span>
  );
}
