/** Turns rows into the terminal/Markdown tables (with ratios to uWS and Socket.IO) and an SVG plot. */
import type { CurvePoint, Row } from "./context.js";
import { LABELS, type ServerName } from "./servers.js";

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  pinning: string;
  loadProcesses: number;
  openFiles: string;
}

export interface Results {
  machine: Machine;
  startedAt: string;
  finishedAt: string;
  mode: "quick" | "full";
  scenarios: Row[];
  curves: Record<string, Partial<Record<ServerName, CurvePoint[]>>>;
  notes: string[];
}

interface Metric {
  key: keyof Row;
  title: string;
  fmt: (v: number) => string;
  /** Whether a ratio to the anchors means anything for this metric. */
  ratio: boolean;
}

const num = (d: number) => (v: number) => (Number.isFinite(v) ? v.toFixed(d) : "-");
const rate = (v: number) =>
  !Number.isFinite(v) ? "-" : v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0);
const mib = (v: number) => (Number.isFinite(v) ? `${(v / 2 ** 20).toFixed(1)} MiB` : "-");
const kib = (v: number) => (Number.isFinite(v) ? `${(v / 1024).toFixed(2)} KiB` : "-");
const pct = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)}%` : "-");

const METRICS: Metric[] = [
  { key: "deliveriesPerSec", title: "deliveries/s", fmt: rate, ratio: true },
  { key: "connectsPerSec", title: "connects/s", fmt: rate, ratio: true },
  { key: "p50Ms", title: "p50 ms", fmt: num(2), ratio: true },
  { key: "p99Ms", title: "p99 ms", fmt: num(2), ratio: true },
  { key: "cpuMicrosPerDelivery", title: "server CPU µs/delivery", fmt: num(2), ratio: true },
  { key: "cpuMicrosPerConnect", title: "server CPU µs/connect", fmt: num(0), ratio: true },
  { key: "cpuMicrosPerConnectCold", title: "µs/connect, cold round", fmt: num(0), ratio: true },
  { key: "serverCpuPercent", title: "server CPU", fmt: pct, ratio: false },
  { key: "rssBytesPerConn", title: "RSS per conn", fmt: kib, ratio: true },
  { key: "rssBytes", title: "server RSS", fmt: mib, ratio: true },
  { key: "loadElu", title: "load ELU", fmt: (v) => pct(v * 100), ratio: false },
  { key: "foreignCpuPercent", title: "other CPU", fmt: pct, ratio: false },
];

const ORDER: ServerName[] = [
  "switchboard",
  "switchboard-pusher",
  "switchboard-batched",
  "uws",
  "raw-ws",
  "socketio",
];

function ratio(v: number, ref: number | null | undefined): string {
  if (
    ref === null ||
    ref === undefined ||
    !Number.isFinite(ref) ||
    ref === 0 ||
    !Number.isFinite(v)
  )
    return "";
  return `${(v / ref).toFixed(2)}×`;
}

/** Markdown tables, one per scenario; each figure followed by its ratio to uWS (U) and Socket.IO (S). */
export function tables(rows: Row[]): string {
  const names = [...new Set(rows.map((r) => r.name))];
  const out: string[] = [];
  for (const name of names) {
    const group = rows
      .filter((r) => r.name === name)
      .sort((a, b) => ORDER.indexOf(a.server) - ORDER.indexOf(b.server));
    const uws = group.find((r) => r.server === "uws");
    const sio = group.find((r) => r.server === "socketio");
    let metrics = METRICS.filter((m) =>
      group.some((r) => typeof r[m.key] === "number" && Number.isFinite(r[m.key] as number)),
    );
    if (metrics.length === 0)
      metrics = METRICS.filter((m) => m.key === "p50Ms" || m.key === "p99Ms");
    out.push(`### ${name}`, "");
    out.push(`| server | ${metrics.map((m) => m.title).join(" | ")} | limited by / note |`);
    out.push(`|---|${metrics.map(() => "--:").join("|")}|---|`);
    for (const r of group) {
      const cells = metrics.map((m) => {
        const v = r[m.key];
        if (typeof v !== "number" || !Number.isFinite(v)) return "-";
        if (!m.ratio) return m.fmt(v);
        const parts: string[] = [];
        const u = r.server === "uws" ? "" : ratio(v, uws?.[m.key] as number | undefined);
        const s = r.server === "socketio" ? "" : ratio(v, sio?.[m.key] as number | undefined);
        if (u) parts.push(`${u}U`);
        if (s) parts.push(`${s}S`);
        return parts.length ? `${m.fmt(v)} (${parts.join(" ")})` : m.fmt(v);
      });
      const noisy =
        typeof r.foreignCpuPercent === "number" && r.foreignCpuPercent > 25
          ? `noisy: other processes used ${r.foreignCpuPercent.toFixed(0)}% of a core`
          : null;
      const note = [r.limitedBy, r.note, noisy].filter(Boolean).join("; ");
      out.push(`| ${LABELS[r.server]} | ${cells.join(" | ")} | ${note} |`);
    }
    out.push("");
  }
  out.push(
    "Ratios: `U` = this figure ÷ uWebSockets.js's, `S` = ÷ Socket.IO 4's (same run, same scenario).",
  );
  return out.join("\n");
}

/** The issue's targets, checked against this run (ratios, same run). */
export function targets(rows: Row[]): string {
  const get = (name: string, server: ServerName) =>
    rows.find((r) => r.name.startsWith(name) && r.server === server);
  const f85 = (s: ServerName) => get("fanout@85k", s);
  const idle = (s: ServerName) => get("idle-memory", s);
  const rec = get("recovery", "switchboard");
  const lines: string[] = [];
  const check = (
    label: string,
    ours: number | null | undefined,
    limit: number | null | undefined,
    unit: string,
    how: string,
  ) => {
    if (
      typeof ours !== "number" ||
      typeof limit !== "number" ||
      !Number.isFinite(ours) ||
      !Number.isFinite(limit)
    ) {
      lines.push(`| ${label} | - | - | not measured |`);
      return;
    }
    const ok = ours <= limit;
    lines.push(
      `| ${label} | ${ours.toFixed(2)} ${unit} | ≤ ${limit.toFixed(2)} ${unit} (${how}) | ${ok ? "met" : `missed by ${(ours / limit).toFixed(2)}×`} |`,
    );
  };
  const sio = f85("socketio");
  check(
    "server CPU per delivery at 85k/s vs Socket.IO",
    f85("switchboard")?.cpuMicrosPerDelivery,
    sio?.cpuMicrosPerDelivery != null ? sio.cpuMicrosPerDelivery * 0.5 : null,
    "µs",
    "0.5× Socket.IO",
  );
  check(
    "server CPU per delivery at 85k/s vs raw ws",
    f85("switchboard")?.cpuMicrosPerDelivery,
    f85("raw-ws")?.cpuMicrosPerDelivery,
    "µs",
    "raw ws floor",
  );
  check(
    "p99 at 85k deliveries/s",
    f85("switchboard")?.p99Ms,
    sio?.p99Ms != null ? sio.p99Ms * 0.5 : null,
    "ms",
    "0.5× Socket.IO",
  );
  const si = idle("socketio")?.rssBytesPerConn;
  const sb = idle("switchboard")?.rssBytesPerConn;
  check(
    "memory per idle connection",
    sb != null ? sb / 1024 : null,
    si != null ? (si / 1024) * 0.5 : null,
    "KiB",
    "0.5× Socket.IO",
  );
  check("recovery of 1,000 messages (p99)", rec?.p99Ms, 50, "ms", "absolute");
  const native = f85("switchboard")?.cpuMicrosPerDelivery;
  check(
    "Pusher endpoint: server CPU per delivery at 85k/s (issue 18)",
    f85("switchboard-pusher")?.cpuMicrosPerDelivery,
    native != null ? native * 1.2 : null,
    "µs",
    "1.2× native",
  );
  const storm = (s: ServerName) => get("connect-storm", s)?.cpuMicrosPerConnect;
  const rawStorm = storm("raw-ws");
  check(
    "connect + subscribe: server CPU per connection vs raw ws, median warm round net of idle CPU (issue 20)",
    storm("switchboard"),
    rawStorm != null ? rawStorm * 2 : null,
    "µs",
    "2× raw ws",
  );
  // Highest fan-out rate at p99 ≤ 50 ms (issue 20): a floor ratio (ours ÷ theirs must be at least).
  const max = (s: ServerName) => get("fanout-max", s);
  const atLeast = (label: string, server: ServerName, factor: number) => {
    const ours = max("switchboard");
    const theirs = max(server);
    const a = ours?.deliveriesPerSec;
    const b = theirs?.deliveriesPerSec;
    if (typeof a !== "number" || typeof b !== "number" || !(b > 0)) {
      lines.push(`| ${label} | - | - | not measured |`);
      return;
    }
    const capped = [ours, theirs].some((r) => /load generator/.test(r?.limitedBy ?? ""))
      ? " (a load generator limit was reached: the ratio is a floor at best)"
      : "";
    lines.push(
      `| ${label} | ${(a / b).toFixed(2)}× | ≥ ${factor.toFixed(2)}× | ${a / b >= factor ? "met" : "missed"}${capped} |`,
    );
  };
  atLeast("fan-out: max deliveries/s at p99 ≤ 50 ms vs uWebSockets.js (issue 20)", "uws", 0.8);
  atLeast("fan-out: max deliveries/s at p99 ≤ 50 ms vs Socket.IO (issue 20)", "socketio", 3);
  const cold = (s: ServerName) => get("connect-storm", s)?.cpuMicrosPerConnectCold;
  const rawCold = cold("raw-ws");
  check(
    "connect + subscribe, first (cold JIT) round, vs raw ws's first round",
    cold("switchboard"),
    rawCold != null ? rawCold * 2 : null,
    "µs",
    "2× raw ws",
  );
  return ["| target | Switchboard | limit | verdict |", "|---|--:|--:|---|", ...lines].join("\n");
}

export function markdown(res: Results): string {
  const m = res.machine;
  return [
    `# Switchboard benchmark — ${res.startedAt} (${res.mode})`,
    "",
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}, Node ${m.node}.`,
    `Pinning: ${m.pinning}. Load processes: ${m.loadProcesses}. Open files: ${m.openFiles}.`,
    "",
    "## Targets (issue 4)",
    "",
    targets(res.scenarios),
    "",
    "## Results",
    "",
    tables(res.scenarios),
    "",
    ...(res.notes.length ? ["## Notes", "", ...res.notes.map((n) => `- ${n}`), ""] : []),
  ].join("\n");
}

const COLORS: Record<ServerName, string> = {
  switchboard: "#d62728",
  "switchboard-pusher": "#ff7f0e",
  "switchboard-batched": "#8c564b",
  uws: "#1f77b4",
  "raw-ws": "#2ca02c",
  socketio: "#9467bd",
};

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Throughput (x, deliveries/s) against p99 latency (y, log scale) per server, hand-written SVG. */
export function svg(curves: Partial<Record<ServerName, CurvePoint[]>>, title: string): string {
  const W = 760;
  const H = 460;
  const L = 70;
  const R = 180;
  const T = 40;
  const B = 50;
  const pw = W - L - R;
  const ph = H - T - B;
  const all = Object.values(curves).flat();
  const maxX = Math.max(50_000, ...all.map((p) => p.deliveriesPerSec).filter(Number.isFinite));
  const xStep = maxX > 300_000 ? 100_000 : maxX > 120_000 ? 50_000 : 20_000;
  const xMax = Math.ceil(maxX / xStep) * xStep;
  const ys = all.map((p) => p.p99Ms).filter((v) => Number.isFinite(v) && v > 0);
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.01, Math.min(0.1, ...ys))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(100, ...ys)));
  const x = (v: number) => L + (v / xMax) * pw;
  const y = (v: number) =>
    T +
    ph -
    ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) *
      ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${L}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`,
  );
  for (let v = 0; v <= xMax; v += xStep) {
    parts.push(
      `<line x1="${x(v)}" y1="${T}" x2="${x(v)}" y2="${T + ph}" stroke="#eee"/>`,
      `<text x="${x(v)}" y="${T + ph + 18}" text-anchor="middle">${v / 1000}k</text>`,
    );
  }
  for (let v = yMin; v <= yMax * 1.0001; v *= 10) {
    parts.push(
      `<line x1="${L}" y1="${y(v)}" x2="${L + pw}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? v.toFixed(0) : v.toPrecision(1)}</text>`,
    );
  }
  parts.push(
    `<line x1="${L}" y1="${y(50)}" x2="${L + pw}" y2="${y(50)}" stroke="#999" stroke-dasharray="6 4"/>`,
    `<text x="${L + pw - 4}" y="${y(50) - 5}" text-anchor="end" fill="#666">p99 50 ms</text>`,
    `<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${L + pw / 2}" y="${H - 12}" text-anchor="middle">deliveries per second (measured)</text>`,
    `<text transform="translate(18 ${T + ph / 2}) rotate(-90)" text-anchor="middle">p99 publish→deliver latency, ms (log)</text>`,
  );
  let ly = T + 10;
  for (const server of ORDER) {
    const pts = (curves[server] ?? []).filter(
      (p) => Number.isFinite(p.deliveriesPerSec) && Number.isFinite(p.p99Ms),
    );
    if (pts.length === 0) continue;
    const c = COLORS[server];
    parts.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((p) => `${x(p.deliveriesPerSec).toFixed(1)},${y(p.p99Ms).toFixed(1)}`).join(" ")}"/>`,
    );
    for (const p of pts) {
      parts.push(
        `<circle cx="${x(p.deliveriesPerSec).toFixed(1)}" cy="${y(p.p99Ms).toFixed(1)}" r="3.5" fill="${c}"><title>${esc(LABELS[server])}: ${rate(p.deliveriesPerSec)}/s, p99 ${p.p99Ms.toFixed(2)} ms, ${p.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery</title></circle>`,
      );
    }
    parts.push(
      `<line x1="${L + pw + 15}" y1="${ly}" x2="${L + pw + 40}" y2="${ly}" stroke="${c}" stroke-width="3"/>`,
      `<text x="${L + pw + 46}" y="${ly + 4}">${esc(LABELS[server])}</text>`,
    );
    ly += 20;
  }
  parts.push("</svg>");
  return parts.join("\n");
}
