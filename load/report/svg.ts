// Inline SVG charts for the HTML report, drawn here rather than in the browser: the report is one
// self-contained file with no script, font or library to fetch, and it renders anywhere.
export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
  dash?: string;
  /** Right-hand axis (e.g. virtual users next to requests/s). */
  right?: boolean;
}

export interface Limit {
  value: number;
  label: string;
  color: string;
}

export interface Band {
  fromS: number;
  toS: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  /** Window start times, seconds. */
  x: number[];
  /** Width of one window, seconds (bars use it). */
  stepS: number;
  series: Series[];
  kind: "lines" | "stacked-bars";
  unit: string;
  rightUnit?: string;
  limits?: Limit[];
  bands?: Band[];
  width?: number;
  height?: number;
}

const PAD = { left: 58, right: 54, top: 46, bottom: 34 };

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A round axis maximum (1, 2, 2.5, 5 × 10^n) at or above v. */
function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}

export function fmtNum(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toFixed(2))}k`;
  if (Math.abs(v) >= 100) return String(Math.round(v));
  if (Math.abs(v) >= 10) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 100) / 100);
}

export function fmtTime(s: number): string {
  const m = Math.floor(s / 60);
  const sec = Math.round(s - m * 60);
  return `${m}:${String(sec).padStart(2, "0")}`;
}

function maxOf(series: Series[], stacked: boolean, n: number): number {
  if (stacked) {
    let max = 0;
    for (let i = 0; i < n; i++)
      max = Math.max(
        max,
        series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0),
      );
    return max;
  }
  return Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
}

export function chart(spec: ChartSpec): string {
  const width = spec.width ?? 1280;
  const height = spec.height ?? 300;
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const n = spec.x.length;
  const endS = (spec.x[n - 1] ?? 0) + spec.stepS;
  const left = spec.series.filter((s) => !s.right);
  const right = spec.series.filter((s) => s.right);
  const stacked = spec.kind === "stacked-bars";

  const dataMax = maxOf(left, stacked, n);
  // A limit far above the data would flatten every line against the axis: show it only when close.
  const shownLimits = (spec.limits ?? []).filter((l) => dataMax === 0 || l.value <= dataMax * 2.5);
  const hiddenLimits = (spec.limits ?? []).filter((l) => !shownLimits.includes(l));
  const yMax = niceMax(Math.max(dataMax * 1.1, ...shownLimits.map((l) => l.value * 1.05)));
  const y2Max = niceMax(maxOf(right, false, n) * 1.1);
  const px = (s: number): number => PAD.left + (endS > 0 ? (s / endS) * plotW : 0);
  const py = (v: number, max: number): number => PAD.top + plotH - (v / max) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(spec.title)}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  out.push(`<text x="${PAD.left}" y="18" font-size="15" font-weight="600" fill="#0f172a">${esc(spec.title)}</text>`);
  // Stage bands behind everything, labelled at the top of the plot.
  for (const [i, b] of (spec.bands ?? []).entries()) {
    const x0 = px(b.fromS);
    const x1 = px(b.toS);
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${PAD.top}" width="${Math.max(0, x1 - x0).toFixed(1)}" height="${plotH}" fill="${i % 2 ? "#f1f5f9" : "#f8fafc"}"/>`,
    );
    // A label wider than its band would run into the next one: leave it out (the tooltip has the time).
    if (b.label.length * 6 < x1 - x0)
      out.push(
        `<text x="${((x0 + x1) / 2).toFixed(1)}" y="${PAD.top + 12}" text-anchor="middle" fill="#94a3b8" font-size="11">${esc(b.label)}</text>`,
      );
  }
  // Grid and y axes.
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    const y = py(v, yMax);
    out.push(
      `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e2e8f0"/>`,
    );
    out.push(
      `<text x="${PAD.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" fill="#475569">${fmtNum(v)}</text>`,
    );
    if (right.length > 0)
      out.push(
        `<text x="${PAD.left + plotW + 6}" y="${(y + 4).toFixed(1)}" fill="#475569">${fmtNum((y2Max * k) / 4)}</text>`,
      );
  }
  out.push(
    `<text x="12" y="${PAD.top + plotH / 2}" transform="rotate(-90 12 ${PAD.top + plotH / 2})" text-anchor="middle" fill="#475569">${esc(spec.unit)}</text>`,
  );
  if (right.length > 0 && spec.rightUnit) {
    const x = width - 8;
    out.push(
      `<text x="${x}" y="${PAD.top + plotH / 2}" transform="rotate(90 ${x} ${PAD.top + plotH / 2})" text-anchor="middle" fill="#475569">${esc(spec.rightUnit)}</text>`,
    );
  }
  // X axis: about eight time labels.
  const tickEvery = niceMax(endS / 8);
  for (let s = 0; s <= endS + 1e-9; s += tickEvery) {
    const x = px(s);
    out.push(
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH + 4}" stroke="#94a3b8"/>`,
    );
    out.push(
      `<text x="${x.toFixed(1)}" y="${PAD.top + plotH + 17}" text-anchor="middle" fill="#475569">${fmtTime(s)}</text>`,
    );
  }
  out.push(
    `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#94a3b8"/>`,
  );

  if (stacked) out.push(bars(left, spec, px, (v) => py(v, yMax)));
  else for (const s of left) out.push(line(s, spec, px, (v) => py(v, yMax)));
  for (const s of right) out.push(line(s, spec, px, (v) => py(v, y2Max)));

  for (const l of shownLimits) {
    const y = py(l.value, yMax).toFixed(1);
    out.push(
      `<line x1="${PAD.left}" x2="${PAD.left + plotW}" y1="${y}" y2="${y}" stroke="${l.color}" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    );
    out.push(
      `<text x="${PAD.left + plotW - 4}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end" fill="${l.color}" font-size="11" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(l.label)}</text>`,
    );
  }
  if (hiddenLimits.length > 0) {
    const text = hiddenLimits.map((l) => l.label).join(", ");
    out.push(
      `<text x="${PAD.left + plotW}" y="16" text-anchor="end" fill="#16a34a" font-size="11">far below ${esc(text)}</text>`,
    );
  }
  if (spec.kind === "lines" && left.every((s) => s.values.every((v) => v === null))) {
    out.push(
      `<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH / 2}" text-anchor="middle" fill="#dc2626" font-size="13">no successful response to measure — see Errors</text>`,
    );
  }
  out.push(legend(spec.series, width));
  out.push(hoverColumns(spec, px, PAD.top, plotH));
  out.push("</svg>");
  return out.join("\n");
}

function line(s: Series, spec: ChartSpec, px: (s: number) => number, py: (v: number) => number): string {
  // A null breaks the line: a window with no successful response has no percentile.
  let d = "";
  let pen = false;
  s.values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = px((spec.x[i] ?? 0) + spec.stepS / 2).toFixed(1);
    d += `${pen ? "L" : "M"}${x},${py(v).toFixed(1)}`;
    pen = true;
  });
  // A value with no neighbour draws no segment: mark it with a dot so it is not lost.
  const dots = s.values
    .map((v, i) =>
      v !== null && (s.values[i - 1] ?? null) === null && (s.values[i + 1] ?? null) === null
        ? `<circle cx="${px((spec.x[i] ?? 0) + spec.stepS / 2).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="${s.color}"/>`
        : "",
    )
    .join("");
  const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
  return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round"${dash}/>${dots}`;
}

function bars(series: Series[], spec: ChartSpec, px: (s: number) => number, py: (v: number) => number): string {
  const out: string[] = [];
  spec.x.forEach((t, i) => {
    let base = 0;
    const x0 = px(t) + 0.5;
    const w = Math.max(1, px(t + spec.stepS) - px(t) - 1);
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      out.push(
        `<rect x="${x0.toFixed(1)}" y="${py(base + v).toFixed(1)}" width="${w.toFixed(1)}" height="${(py(base) - py(base + v)).toFixed(1)}" fill="${s.color}"/>`,
      );
      base += v;
    }
  });
  return out.join("");
}

function legend(series: Series[], width: number): string {
  const out: string[] = [];
  let x = width - PAD.right;
  // Right-aligned, laid out from the right edge leftwards.
  for (const s of [...series].reverse()) {
    const label = s.right ? `${s.name} (right axis)` : s.name;
    const w = 34 + label.length * 6.6;
    x -= w;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : "";
    out.push(
      `<line x1="${x.toFixed(1)}" x2="${(x + 16).toFixed(1)}" y1="34" y2="34" stroke="${s.color}" stroke-width="3"${dash}/>`,
    );
    out.push(`<text x="${(x + 20).toFixed(1)}" y="38" fill="#334155">${esc(label)}</text>`);
  }
  return out.join("");
}

/** Invisible columns whose tooltip lists every series' value in that window. */
function hoverColumns(spec: ChartSpec, px: (s: number) => number, top: number, h: number): string {
  return spec.x
    .map((t, i) => {
      const lines = spec.series
        .map((s) => `${s.name}: ${s.values[i] === null ? "–" : fmtNum(s.values[i] ?? 0)}`)
        .join("\n");
      const x0 = px(t);
      const w = Math.max(1, px(t + spec.stepS) - x0);
      return `<rect x="${x0.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${h}" fill="transparent"><title>${esc(`${fmtTime(t)}–${fmtTime(t + spec.stepS)}\n${lines}`)}</title></rect>`;
    })
    .join("");
}
