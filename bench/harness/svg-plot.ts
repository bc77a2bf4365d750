import type { PlotPoint } from './types';

/** Options of {@link applyTimeSvg}. */
export interface SvgPlotOptions {
  readonly title: string;
  /** A line under the title (date, machine, load). */
  readonly subtitle?: string;
  /** @default 960 */
  readonly width?: number;
  /** @default 440 */
  readonly height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Powers of ten covering [lo, hi] (at least one decade). */
function decades(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.max(Math.ceil(Math.log10(hi)), a + 1);
  return Array.from({ length: b - a + 1 }, (_, i) => 10 ** (a + i));
}

function label(v: number): string {
  return v >= 1 ? String(v) : String(Number(v.toPrecision(1)));
}

/**
 * Apply time against object count, both axes logarithmic, one line per series (FluxOps, kubectl,
 * Flux), as a self-contained SVG document. Hand-written: the charting libraries that render SVG
 * need Node 22 or top-level await (see /work/shared/LIBRARIES.md).
 */
export function applyTimeSvg(points: readonly PlotPoint[], opts: SvgPlotOptions): string {
  const width = opts.width ?? 960;
  const height = opts.height ?? 440;
  const m = { left: 70, right: 330, top: 60, bottom: 55 };
  const valid = points.filter((p) => p.objects > 0 && p.seconds > 0 && Number.isFinite(p.seconds));
  const xs = decades(Math.min(...valid.map((p) => p.objects), 10), Math.max(...valid.map((p) => p.objects), 100));
  const ys = decades(Math.min(...valid.map((p) => p.seconds), 0.1), Math.max(...valid.map((p) => p.seconds), 1));
  const lx = (v: number) => Math.log10(v);
  const x = (v: number) => m.left + ((lx(v) - lx(xs[0]!)) / (lx(xs.at(-1)!) - lx(xs[0]!))) * (width - m.left - m.right);
  const y = (v: number) => height - m.bottom - ((lx(v) - lx(ys[0]!)) / (lx(ys.at(-1)!) - lx(ys[0]!))) * (height - m.top - m.bottom);
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${m.left}" y="24" font-size="16" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  if (opts.subtitle) out.push(`<text x="${m.left}" y="42" fill="#555">${esc(opts.subtitle)}</text>`);
  // Grid and ticks at each decade.
  for (const v of xs) {
    out.push(`<line x1="${f(x(v))}" y1="${m.top}" x2="${f(x(v))}" y2="${height - m.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${f(x(v))}" y="${height - m.bottom + 18}" text-anchor="middle">${label(v)}</text>`);
  }
  for (const v of ys) {
    out.push(`<line x1="${m.left}" y1="${f(y(v))}" x2="${width - m.right}" y2="${f(y(v))}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 8}" y="${f(y(v) + 4)}" text-anchor="end">${label(v)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${width - m.left - m.right}" height="${height - m.top - m.bottom}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${(m.left + width - m.right) / 2}" y="${height - 14}" text-anchor="middle">objects applied (log scale)</text>`);
  out.push(`<text transform="translate(18 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">seconds (log scale)</text>`);
  const series = [...new Set(valid.map((p) => p.series))];
  series.forEach((name, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = valid.filter((p) => p.series === name).sort((a, b) => a.objects - b.objects);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${f(x(p.objects))},${f(y(p.seconds))}`).join(' ')}"/>`);
    for (const p of pts) {
      out.push(`<circle cx="${f(x(p.objects))}" cy="${f(y(p.seconds))}" r="4" fill="${color}"><title>${esc(`${name}: ${p.objects} objects, ${p.seconds.toFixed(2)} s`)}</title></circle>`);
    }
    const ly = m.top + 10 + i * 20;
    out.push(`<line x1="${width - m.right + 14}" y1="${ly}" x2="${width - m.right + 38}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${width - m.right + 44}" y="${ly + 4}">${esc(name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
