import type { Kysely } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import type { Database } from "../../store/schema.js";
import type { DayHours, Resource, Service, ServicePurpose, WeeklyHours } from "./contract.js";
import { TtlCache } from "./memo.js";
import type { AppointmentResourceRow, AppointmentServiceRow } from "./migrations.js";
import type { PutExceptionInput, PutResourceInput, PutServiceInput } from "./schema.js";

/** A resource with its parsed hours and exceptions, as availability needs it. */
export interface LoadedResource {
  id: string;
  name: string;
  timeZone: string;
  services: string[];
  hours: WeeklyHours;
  exceptions: Map<string, { hours: DayHours; note: string | null }>;
  updatedAt: string;
}

export const serviceView = (r: AppointmentServiceRow): Service => ({
  id: r.id,
  name: r.name,
  durationMinutes: r.duration_minutes,
  bufferBeforeMinutes: r.buffer_before_minutes,
  bufferAfterMinutes: r.buffer_after_minutes,
  capacity: r.capacity,
  ...(r.purpose && { purpose: r.purpose as ServicePurpose }),
  updatedAt: r.updated_at,
});

export const resourceView = (r: LoadedResource): Resource => ({
  id: r.id,
  name: r.name,
  timeZone: r.timeZone,
  services: r.services,
  hours: r.hours,
  exceptions: [...r.exceptions.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, e]) => ({ date, hours: e.hours, ...(e.note !== null && { note: e.note }) })),
  updatedAt: r.updatedAt,
});

function assertStaff(identity: Identity): void {
  if (!isStaffOrServer(identity))
    throw new SwitchboardError("forbidden", "only staff or the API key manage the calendar");
}

/**
 * Services and resources: what staff set up, and what availability and holds read. The reads on
 * the hold and slot paths go through a short cache (`cacheMs`, see memo.ts); every write here
 * clears it.
 */
export function createCatalog(db: Kysely<Database>, options: { cacheMs?: number } = {}) {
  const services = new TtlCache<AppointmentServiceRow>(options.cacheMs ?? 0);
  const resources = new TtlCache<LoadedResource>(options.cacheMs ?? 0);
  const offerings = new TtlCache<LoadedResource[]>(options.cacheMs ?? 0);
  const forget = () => {
    services.clear();
    resources.clear();
    offerings.clear();
  };

  async function loadResources(ids?: string[]): Promise<LoadedResource[]> {
    let q = db.selectFrom("appointment_resources").selectAll().orderBy("id");
    if (ids) q = q.where("id", "in", ids.length ? ids : [""]);
    const rows: AppointmentResourceRow[] = await q.execute();
    if (rows.length === 0) return [];
    const exceptions = await db
      .selectFrom("appointment_exceptions")
      .selectAll()
      .where(
        "resource_id",
        "in",
        rows.map((r) => r.id),
      )
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      timeZone: r.time_zone,
      services: JSON.parse(r.services) as string[],
      hours: JSON.parse(r.hours) as WeeklyHours,
      exceptions: new Map(
        exceptions
          .filter((e) => e.resource_id === r.id)
          .map((e) => [e.date, { hours: JSON.parse(e.hours) as DayHours, note: e.note }]),
      ),
      updatedAt: r.updated_at,
    }));
  }

  /** Fresh from the database (what staff screens and writes read). */
  async function freshResource(id: string): Promise<LoadedResource | undefined> {
    return (await loadResources([id]))[0];
  }

  /** Possibly up to `cacheMs` old (the hold and slot paths). */
  function resource(id: string): Promise<LoadedResource | undefined> {
    return resources.get(id, () => freshResource(id));
  }

  function service(id: string): Promise<AppointmentServiceRow | undefined> {
    return services.get(id, () =>
      db.selectFrom("appointment_services").selectAll().where("id", "=", id).executeTakeFirst(),
    );
  }

  return {
    loadResources,
    resource,
    service,

    async requireService(id: string): Promise<AppointmentServiceRow> {
      const row = await service(id);
      if (!row) throw new SwitchboardError("unknown_service", `no service ${id}`);
      return row;
    },

    async requireResource(id: string): Promise<LoadedResource> {
      const row = await resource(id);
      if (!row) throw new SwitchboardError("unknown_resource", `no resource ${id}`);
      return row;
    },

    /** The resources that offer a service (every one, in id order). */
    async offering(serviceId: string): Promise<LoadedResource[]> {
      return (
        (await offerings.get(serviceId, async () =>
          (await loadResources()).filter((r) => r.services.includes(serviceId)),
        )) ?? []
      );
    },

    async listServices(): Promise<Service[]> {
      const rows = await db.selectFrom("appointment_services").selectAll().orderBy("id").execute();
      return rows.map(serviceView);
    },

    async listResources(): Promise<Resource[]> {
      return (await loadResources()).map(resourceView);
    },

    async getResource(id: string): Promise<Resource> {
      const r = await freshResource(id);
      if (!r) throw new SwitchboardError("not_found", `no resource ${id}`);
      return resourceView(r);
    },

    /** Creates or replaces a service. Existing bookings keep the time they were made with. */
    async putService(identity: Identity, id: string, input: PutServiceInput): Promise<Service> {
      assertStaff(identity);
      const row: AppointmentServiceRow = {
        id,
        name: input.name,
        duration_minutes: input.durationMinutes,
        buffer_before_minutes: input.bufferBeforeMinutes ?? 0,
        buffer_after_minutes: input.bufferAfterMinutes ?? input.bufferMinutes ?? 0,
        capacity: input.capacity ?? 1,
        purpose: input.purpose ?? null,
        updated_at: now(),
      };
      const { id: _, ...rest } = row;
      await db
        .insertInto("appointment_services")
        .values(row)
        .onConflict((oc) => oc.column("id").doUpdateSet(rest))
        .execute();
      forget();
      return serviceView(row);
    },

    /** Creates or replaces a resource (its exceptions stay). */
    async putResource(identity: Identity, id: string, input: PutResourceInput): Promise<Resource> {
      assertStaff(identity);
      const known = new Set(
        (
          await db
            .selectFrom("appointment_services")
            .select("id")
            .where("id", "in", input.services.length ? input.services : [""])
            .execute()
        ).map((r) => r.id),
      );
      const missing = input.services.filter((s) => !known.has(s));
      if (missing.length)
        throw new SwitchboardError("unknown_service", `no service ${missing.join(", ")}`, {
          details: { missing },
        });
      const row: AppointmentResourceRow = {
        id,
        name: input.name,
        time_zone: input.timeZone,
        services: JSON.stringify([...new Set(input.services)]),
        hours: JSON.stringify(input.hours),
        updated_at: now(),
      };
      const { id: _, ...rest } = row;
      await db
        .insertInto("appointment_resources")
        .values(row)
        .onConflict((oc) => oc.column("id").doUpdateSet(rest))
        .execute();
      forget();
      return resourceView((await freshResource(id)) as LoadedResource);
    },

    /** Sets one day's hours of a resource instead of its weekly ones (`[]`: closed). */
    async putException(
      identity: Identity,
      id: string,
      date: string,
      input: PutExceptionInput,
    ): Promise<Resource> {
      assertStaff(identity);
      if (!(await freshResource(id))) throw new SwitchboardError("not_found", `no resource ${id}`);
      const hours = JSON.stringify(input.hours);
      const note = input.note ?? null;
      await db
        .insertInto("appointment_exceptions")
        .values({ resource_id: id, date, hours, note })
        .onConflict((oc) => oc.columns(["resource_id", "date"]).doUpdateSet({ hours, note }))
        .execute();
      forget();
      return resourceView((await freshResource(id)) as LoadedResource);
    },

    async deleteException(identity: Identity, id: string, date: string): Promise<Resource> {
      assertStaff(identity);
      const r = await freshResource(id);
      if (!r) throw new SwitchboardError("not_found", `no resource ${id}`);
      await db
        .deleteFrom("appointment_exceptions")
        .where("resource_id", "=", id)
        .where("date", "=", date)
        .execute();
      forget();
      r.exceptions.delete(date);
      return resourceView(r);
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
