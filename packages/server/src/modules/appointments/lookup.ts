import type { Kysely } from "kysely";
import type { Database } from "../../store/schema.js";

/** What another module (chat's item context and team routing) may know about an appointment. */
export interface AppointmentSummary {
  id: string;
  customerId: string;
  resourceId: string;
  resourceName?: string;
  serviceName?: string;
  status: string;
  startsAt: string;
}

export async function findAppointment(
  db: Kysely<Database>,
  id: string,
): Promise<AppointmentSummary | undefined> {
  const row = await db
    .selectFrom("appointments")
    .leftJoin("appointment_resources", "appointment_resources.id", "appointments.resource_id")
    .leftJoin("appointment_services", "appointment_services.id", "appointments.service_id")
    .select([
      "appointments.id",
      "appointments.customer_id",
      "appointments.resource_id",
      "appointments.status",
      "appointments.starts_at",
      "appointment_resources.name as resource_name",
      "appointment_services.name as service_name",
    ])
    .where("appointments.id", "=", id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    customerId: row.customer_id,
    resourceId: row.resource_id,
    ...(row.resource_name !== null && { resourceName: row.resource_name }),
    ...(row.service_name !== null && { serviceName: row.service_name }),
    status: row.status,
    startsAt: row.starts_at,
  };
}
