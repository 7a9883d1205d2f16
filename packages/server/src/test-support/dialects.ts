import { postgresAvailable } from "./services.js";

/** The persistence suite runs on every dialect reachable here (PostgreSQL required under CI). */
export const DIALECTS: ("sqlite" | "postgres")[] = (await postgresAvailable())
  ? ["sqlite", "postgres"]
  : ["sqlite"];
