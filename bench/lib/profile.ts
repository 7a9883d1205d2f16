/** Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per file. */
import { ROOT } from "./servers.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(url: string): string {
  if (!url) return "";
  const path = url.startsWith("file://") ? decodeURIComponent(url.slice(7)) : url;
  const i = path.indexOf("/node_modules/");
  if (i >= 0) return path.slice(i + 1);
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

export interface Hotspot {
  name: string;
  file: string;
  selfMs: number;
  percent: number;
}

/** Windows [startUs, endUs] on the profile's clock (CLOCK_MONOTONIC µs, as process.hrtime). */
export type Windows = Array<[number, number]>;

export function hotspots(
  profile: CpuProfile,
  windows?: Windows,
): {
  total: number;
  idle: number;
  byFunction: Hotspot[];
  byFile: Hotspot[];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some(([a, b]) => at >= a && at <= b)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  let total = 0;
  let idle = 0;
  const fn = new Map<string, Hotspot>();
  const file = new Map<string, Hotspot>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const cf = node.callFrame;
    if (cf.functionName === "(idle)") {
      idle += us;
      continue;
    }
    total += us;
    const f = where(cf.url) || cf.functionName;
    const key = `${f}:${cf.functionName || "(anonymous)"}:${cf.lineNumber + 1}`;
    const h = fn.get(key) ?? {
      name: `${cf.functionName || "(anonymous)"}${cf.url ? `:${cf.lineNumber + 1}` : ""}`,
      file: f,
      selfMs: 0,
      percent: 0,
    };
    h.selfMs += us / 1000;
    fn.set(key, h);
    const g = file.get(f) ?? { name: f, file: f, selfMs: 0, percent: 0 };
    g.selfMs += us / 1000;
    file.set(f, g);
  }
  const finish = (m: Map<string, Hotspot>) =>
    [...m.values()]
      .map((h) => ({ ...h, percent: total ? (h.selfMs * 1000 * 100) / total : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs);
  return { total: total / 1000, idle: idle / 1000, byFunction: finish(fn), byFile: finish(file) };
}

export function summarizeProfile(profile: CpuProfile, top: number, windows?: Windows): string {
  const h = hotspots(profile, windows?.length ? windows : undefined);
  const line = (x: Hotspot) =>
    `${x.percent.toFixed(1).padStart(5)}%  ${x.selfMs.toFixed(0).padStart(7)} ms  ${x.file} ${x.name}`;
  const ours = h.byFunction.filter((x) => x.file.startsWith("packages/"));
  return [
    `${windows?.length ? `${windows.length} measurement windows only: ` : "whole process: "}` +
      `busy ${h.total.toFixed(0)} ms, idle ${h.idle.toFixed(0)} ms (percentages are of busy time)`,
    "",
    "top functions by self time:",
    ...h.byFunction.slice(0, top).map(line),
    "",
    "top functions in packages/ (ours):",
    ...ours.slice(0, top).map(line),
    "",
    "self time by file:",
    ...h.byFile.slice(0, top).map(line),
  ].join("\n");
}
