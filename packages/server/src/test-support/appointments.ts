import type { TestServer } from "../testing.js";
import { restCall } from "./rest.js";

/** A calendar as the barbershop and the dealer set it up, for the module's tests. */
export async function setUpShop(server: TestServer): Promise<void> {
  const put = async (path: string, body: unknown) => {
    const res = await restCall(server, "PUT", path, { body });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const week = (hours: [string, string][]) =>
    Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, hours]));
  await put("/api/appointments/services/cut", { name: "Haircut", durationMinutes: 30 });
  await put("/api/appointments/services/beard", {
    name: "Beard trim",
    durationMinutes: 20,
    bufferMinutes: 10,
  });
  await put("/api/appointments/services/colour", { name: "Colour", durationMinutes: 60 });
  await put("/api/appointments/services/class", {
    name: "Shaving class",
    durationMinutes: 60,
    capacity: 3,
  });
  await put("/api/appointments/services/drive", { name: "Test drive", durationMinutes: 45 });
  await put("/api/appointments/resources/chair-1", {
    name: "Chair 1 (Sam)",
    timeZone: "Europe/Berlin",
    services: ["cut", "beard", "colour", "class"],
    hours: week([
      ["09:00", "12:00"],
      ["13:00", "18:00"],
    ]),
  });
  await put("/api/appointments/resources/chair-2", {
    name: "Chair 2 (Alex)",
    timeZone: "Europe/Berlin",
    services: ["cut", "beard"],
    hours: week([["09:00", "18:00"]]),
  });
  await put("/api/appointments/resources/model-y", {
    name: "Model Y demo car",
    timeZone: "America/New_York",
    services: ["drive"],
    hours: week([["09:00", "17:00"]]),
  });
}

/** A Monday in the future, 10:00 Berlin (winter: UTC+1). */
export const MONDAY = "2027-01-04";
export const MONDAY_10 = "2027-01-04T09:00:00.000Z";
