/**
 * The business's time zone, as the modules that keep its calendar are configured: the metrics
 * module's (SWITCHBOARD_METRICS_TIME_ZONE: its daily rollups, which the coach's revenue reads,
 * are cut in it), else pricing's (SWITCHBOARD_PRICING_TIME_ZONE), else UTC. Read from the parsed
 * configuration, so a module switched off simply has no say.
 */
export function businessTimeZone(moduleSettings: Readonly<Record<string, unknown>>): string {
  for (const name of ["metrics", "pricing"]) {
    const settings = moduleSettings[name];
    if (typeof settings === "object" && settings !== null && "timeZone" in settings) {
      const zone = settings.timeZone;
      if (typeof zone === "string" && zone) return zone;
    }
  }
  return "UTC";
}
