/**
 * Small canvas plots for the page (drawn again whenever data arrive): lines with points, an
 * error band or error bars, dashed reference lines, linear or logarithmic y axis. After drawing,
 * `canvas.dataset.points` holds the number of data points drawn (the browser test reads it).
 */

export interface Series {
  name: string;
  color: string;
  x: readonly number[];
  y: readonly number[];
  /** ± error per point: a shaded band (`band`) or error bars */
  yErr?: readonly number[];
  band?: boolean;
  /** a horizontal reference line at y[0] across the plot (x ignored) */
  hline?: boolean;
  dashed?: boolean;
  /** draw markers (default: only when there are few points) */
  markers?: boolean;
}

export interface PlotSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  /** x range to show even before data arrive */
  xMin?: number;
  xMax?: number;
  /** text shown in the middle while there is no data */
  empty?: string;
}

const FONT = '12px system-ui, sans-serif';
const PAD = { left: 64, right: 14, top: 26, bottom: 38 };

/** 1, 2, 5 × 10^k steps giving about `count` ticks over [lo, hi]. */
function niceTicks(lo: number, hi: number, count = 6): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function tickLabel(v: number, log: boolean): string {
  if (log) return `1e${Math.round(Math.log10(v))}`;
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0);
  return String(Number(v.toPrecision(6)));
}

export function drawPlot(canvas: HTMLCanvasElement, spec: PlotSpec): number {
  const dpr = globalThis.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 600;
  const cssH = canvas.clientHeight || 260;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.font = FONT;
  const log = spec.logY ?? false;
  const ok = (v: number): boolean => Number.isFinite(v) && (!log || v > 0);

  // ranges
  let xMin = spec.xMin ?? Infinity;
  let xMax = spec.xMax ?? -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  let points = 0;
  for (const s of spec.series) {
    s.y.forEach((y, i) => {
      const e = s.yErr?.[i] ?? 0;
      for (const v of [y - e, y + e]) {
        if (ok(v)) {
          yMin = Math.min(yMin, v);
          yMax = Math.max(yMax, v);
        }
      }
      if (!s.hline && ok(y)) {
        xMin = Math.min(xMin, s.x[i]!);
        xMax = Math.max(xMax, s.x[i]!);
        points++;
      }
    });
  }
  const plotW = cssW - PAD.left - PAD.right;
  const plotH = cssH - PAD.top - PAD.bottom;
  ctx.fillStyle = '#222';
  ctx.textAlign = 'left';
  ctx.fillText(spec.title, PAD.left, 16);
  if (points === 0 || !Number.isFinite(yMin)) {
    ctx.strokeStyle = '#ccc';
    ctx.strokeRect(PAD.left, PAD.top, plotW, plotH);
    ctx.fillStyle = '#888';
    ctx.textAlign = 'center';
    ctx.fillText(spec.empty ?? 'no data yet', PAD.left + plotW / 2, PAD.top + plotH / 2);
    canvas.dataset.points = '0';
    return 0;
  }
  if (xMax === xMin) xMax = xMin + 1;
  const ty = (v: number): number => (log ? Math.log10(v) : v);
  let lo = ty(yMin);
  let hi = ty(yMax);
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    lo -= log ? 0.5 : Math.max(1e-6, Math.abs(lo) * 1e-3);
    hi += log ? 0.5 : Math.max(1e-6, Math.abs(hi) * 1e-3);
  }
  const margin = log ? 0.1 : (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const X = (x: number): number => PAD.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const Y = (y: number): number => PAD.top + (1 - (ty(y) - lo) / (hi - lo)) * plotH;

  // axes and ticks
  ctx.strokeStyle = '#bbb';
  ctx.lineWidth = 1;
  ctx.strokeRect(PAD.left, PAD.top, plotW, plotH);
  ctx.fillStyle = '#444';
  ctx.textAlign = 'right';
  const yTicks = log
    ? Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, k) => 10 ** (Math.ceil(lo) + k))
    : niceTicks(lo, hi);
  for (const t of yTicks) {
    const py = Y(t);
    ctx.strokeStyle = '#eee';
    ctx.beginPath();
    ctx.moveTo(PAD.left, py);
    ctx.lineTo(PAD.left + plotW, py);
    ctx.stroke();
    ctx.fillText(tickLabel(t, log), PAD.left - 6, py + 4);
  }
  ctx.textAlign = 'center';
  for (const t of niceTicks(xMin, xMax, 8)) ctx.fillText(tickLabel(t, false), X(t), PAD.top + plotH + 15);
  ctx.fillText(spec.xLabel, PAD.left + plotW / 2, cssH - 6);
  ctx.save();
  ctx.translate(13, PAD.top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(spec.yLabel, 0, 0);
  ctx.restore();

  // data, clipped to the frame
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left, PAD.top, plotW, plotH);
  ctx.clip();
  for (const s of spec.series) {
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.setLineDash(s.dashed ? [6, 4] : []);
    if (s.hline) {
      if (ok(s.y[0]!)) {
        ctx.beginPath();
        ctx.moveTo(PAD.left, Y(s.y[0]!));
        ctx.lineTo(PAD.left + plotW, Y(s.y[0]!));
        ctx.stroke();
      }
      continue;
    }
    const idx = s.y.map((_, i) => i).filter((i) => ok(s.y[i]!));
    if (s.yErr && s.band) {
      ctx.globalAlpha = 0.18;
      ctx.beginPath();
      idx.forEach((i, k) => (k === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, X(s.x[i]!), Y(s.y[i]! + s.yErr![i]!)));
      [...idx].reverse().forEach((i) => ctx.lineTo(X(s.x[i]!), Y(Math.max(s.y[i]! - s.yErr![i]!, log ? s.y[i]! / 10 : -Infinity))));
      ctx.closePath();
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.beginPath();
    idx.forEach((i, k) => (k === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, X(s.x[i]!), Y(s.y[i]!)));
    ctx.stroke();
    ctx.setLineDash([]);
    const markers = s.markers ?? idx.length <= 60;
    for (const i of idx) {
      const px = X(s.x[i]!);
      const py = Y(s.y[i]!);
      if (s.yErr && !s.band) {
        ctx.beginPath();
        ctx.moveTo(px, Y(s.y[i]! + s.yErr[i]!));
        ctx.lineTo(px, Y(s.y[i]! - s.yErr[i]!));
        ctx.stroke();
      }
      if (markers) {
        ctx.beginPath();
        ctx.arc(px, py, 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  ctx.restore();

  // legend, inside the frame at the top right
  ctx.textAlign = 'left';
  const entries = spec.series.map((s) => ({ s, w: ctx.measureText(s.name).width + 34 }));
  const total = entries.reduce((a, e) => a + e.w, 0);
  let lx = PAD.left + plotW - total - 6;
  const ly = PAD.top + 14;
  ctx.fillStyle = 'rgba(255,255,255,0.85)';
  ctx.fillRect(lx - 4, PAD.top + 2, total + 8, 20);
  for (const { s, w } of entries) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.setLineDash(s.dashed ? [5, 3] : []);
    ctx.beginPath();
    ctx.moveTo(lx, ly - 4);
    ctx.lineTo(lx + 20, ly - 4);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#333';
    ctx.fillText(s.name, lx + 24, ly);
    lx += w;
  }
  canvas.dataset.points = String(points);
  return points;
}

/**
 * Spin configurations as small pictures: chains as rows (newest on top), squares as Lx×Ly grids
 * side by side; a filled cell is an up spin (x = 1, σᶻ = +1).
 */
export function drawSamples(canvas: HTMLCanvasElement, rows: readonly Uint8Array[], lattice: { kind: string; size: number[] }): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 300;
  const cssH = canvas.clientHeight || 200;
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const up = '#1d3557';
  const down = '#e9eef5';
  if (lattice.kind === 'chain') {
    // one row per sample, in stacks side by side (newest at the top of the first stack)
    const n = lattice.size[0]!;
    const gap = 10;
    const cell = Math.max(2, Math.min(12, Math.floor(cssW / n)));
    const perStack = Math.max(1, Math.floor(cssH / cell));
    const stacks = Math.max(1, Math.floor((cssW + gap) / (n * cell + gap)));
    rows.slice(0, perStack * stacks).forEach((r, k) => {
      const ox = Math.floor(k / perStack) * (n * cell + gap);
      const oy = (k % perStack) * cell;
      for (let i = 0; i < n; i++) {
        ctx.fillStyle = r[i] ? up : down;
        ctx.fillRect(ox + i * cell, oy, cell - 1, cell - 1);
      }
    });
  } else {
    const [lx, ly] = [lattice.size[0]!, lattice.size[1]!];
    const cell = Math.max(2, Math.min(10, Math.floor((cssH - 4) / ly / 2)));
    const perRow = Math.max(1, Math.floor(cssW / (lx * cell + 8)));
    rows.forEach((r, k) => {
      const ox = (k % perRow) * (lx * cell + 8);
      const oy = Math.floor(k / perRow) * (ly * cell + 8);
      if (oy + ly * cell > cssH) return;
      for (let y = 0; y < ly; y++) {
        for (let x = 0; x < lx; x++) {
          ctx.fillStyle = r[y * lx + x] ? up : down;
          ctx.fillRect(ox + x * cell, oy + y * cell, cell - 1, cell - 1);
        }
      }
    });
  }
  canvas.dataset.samples = String(rows.length);
}
