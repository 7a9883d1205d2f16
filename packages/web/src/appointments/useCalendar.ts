import { useChannel } from "@switchboard/react";
import type {
  Appointment,
  AppointmentPage,
  BestTime,
  BestTimes,
  Resource,
  Service,
  Slot,
  Slots,
} from "@switchboard/server/contracts/appointments";
import { serviceScheduleChannel } from "@switchboard/server/names/appointments";
import { useCallback, useEffect, useState } from "react";
import { api } from "../app/api.js";
import { useCoalesced, useResync } from "../app/live.js";
import { useSession } from "../app/session.js";

export function useToken(): string | null {
  return useSession()?.token ?? null;
}

/** Services and resources (they change rarely: loaded once per screen, again when `epoch` changes). */
export function useCatalog(epoch?: unknown): { services: Service[]; resources: Resource[] } {
  const token = useToken();
  const [services, setServices] = useState<Service[]>([]);
  const [resources, setResources] = useState<Resource[]>([]);
  useEffect(() => {
    void api<{ services: Service[] }>(token, "GET", "/api/appointments/services").then((r) =>
      setServices(r.services),
    );
    void api<{ resources: Resource[] }>(token, "GET", "/api/appointments/resources").then((r) =>
      setResources(r.resources),
    );
  }, [token, epoch]);
  return { services, resources };
}

/**
 * A service's free slots on a day, live: the REST answer, fetched again whenever the service's
 * calendar (schedule:service:{id}) says time was taken or freed, and after a recovery gap.
 */
export function useSlots(service: string | undefined, day: string) {
  const token = useToken();
  const [slots, setSlots] = useState<Slot[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    if (!service) return;
    try {
      const r = await api<Slots>(
        token,
        "GET",
        `/api/appointments/slots?service=${encodeURIComponent(service)}&from=${day}`,
      );
      setSlots(r.slots);
      setError(undefined);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [token, service, day]);
  const reload = useCoalesced(load, 30);
  const { subscription } = useChannel(service ? serviceScheduleChannel(service) : null, reload);
  useResync(subscription, load);
  useEffect(() => {
    setSlots(undefined);
    void load();
  }, [load]);
  return { slots, error, reload };
}

/**
 * The quietest free times of a service over the week from `day` (GET /best-times), live like
 * useSlots: fetched again when the service's calendar changes and after a recovery gap.
 */
export function useBestTimes(service: string | undefined, day: string) {
  const token = useToken();
  const [times, setTimes] = useState<BestTime[]>();
  const load = useCallback(async () => {
    if (!service) return;
    try {
      const r = await api<BestTimes>(
        token,
        "GET",
        `/api/appointments/best-times?service=${encodeURIComponent(service)}&from=${day}&limit=5`,
      );
      setTimes(r.times);
    } catch {
      setTimes([]); // suggestions are optional: the day's free times stay
    }
  }, [token, service, day]);
  const reload = useCoalesced(load, 30);
  const { subscription } = useChannel(service ? serviceScheduleChannel(service) : null, reload);
  useResync(subscription, load);
  useEffect(() => {
    setTimes(undefined);
    void load();
  }, [load]);
  return times;
}

/**
 * Appointments from a list query, reloaded on every `appointment` event of `channel` (staff or
 * the customer's); other events of the channel go to `onOther` (a pickup offer).
 */
export function useAppointments(
  query: string,
  channel: string | null,
  onOther?: (m: { event: string; data: unknown }) => void,
) {
  const token = useToken();
  const [items, setItems] = useState<Appointment[]>();
  const load = useCallback(async () => {
    const page = await api<AppointmentPage>(token, "GET", `/api/appointments?${query}`);
    setItems(page.items);
  }, [token, query]);
  const reload = useCoalesced(load, 30);
  const { subscription } = useChannel(channel, (m) => {
    if (m.event === "appointment") reload();
    else onOther?.(m);
  });
  useResync(subscription, load);
  useEffect(() => {
    void load();
  }, [load]);
  return { items, reload };
}
