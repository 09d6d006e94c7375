// A small line chart as SVG text: x on a log2 scale (message sizes), y linear from 0, one
// polyline with dots per series, a legend. Enough for docs/BENCHMARKS.md; no dependencies.

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 60, right: 150, top: 30, bottom: 50 };
const Y_TICKS = 5;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

function escapeXml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** series: [{ label, points: [{ x, y }] }] with x > 0; returns the SVG document as a string. */
export function lineChartSvg({ title, xLabel, yLabel, formatX, series }) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const yMax = Math.max(...series.flatMap((s) => s.points.map((p) => p.y))) * 1.1 || 1;
  const [xMin, xMax] = [Math.log2(Math.min(...xs)), Math.log2(Math.max(...xs))];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x) => MARGIN.left + (xMax === xMin ? plotW / 2 : ((Math.log2(x) - xMin) / (xMax - xMin)) * plotW);
  const py = (y) => MARGIN.top + plotH - (y / yMax) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="black"/>`,
  ];
  for (let i = 0; i <= Y_TICKS; i++) {
    const y = (yMax / Y_TICKS) * i;
    out.push(`<line x1="${MARGIN.left}" y1="${py(y)}" x2="${MARGIN.left + plotW}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(1)}</text>`);
  }
  for (const x of [...new Set(xs)]) {
    out.push(`<text x="${px(x)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${escapeXml(formatX(x))}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = s.points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    for (const p of s.points) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = MARGIN.top + 10 + i * 18;
    out.push(`<line x1="${WIDTH - MARGIN.right + 15}" y1="${ly}" x2="${WIDTH - MARGIN.right + 35}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${WIDTH - MARGIN.right + 40}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
