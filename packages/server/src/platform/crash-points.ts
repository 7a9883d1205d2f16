/**
 * Test-only crash points. A test that must prove a write is atomic starts the server as a child
 * process with `SWITCHBOARD_CRASH_POINTS=<point>` (NODE_ENV=test only); at that point the process
 * sends itself SIGKILL, as a power cut would: no catch, no finally, no graceful close.
 */
export function createCrashPoints(points: readonly string[]): (point: string) => void {
  if (points.length === 0) return () => {};
  const armed = new Set(points);
  return (point) => {
    if (armed.has(point)) process.kill(process.pid, "SIGKILL");
  };
}
