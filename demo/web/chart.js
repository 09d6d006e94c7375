// A throughput chart on a canvas: one sample (bytes so far, at a time) per tick, drawn as MB/s
// over time with the axis scaled to the highest rate seen.

const MEGABYTE = 1024 * 1024;
const PADDING = { left: 56, right: 12, top: 14, bottom: 26 };
const GRID_LINES = 4;

export class ThroughputChart {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.points = [];
    this.last = null;
    this.draw();
  }

  /** Records `bytes` received in total at `ms` (performance.now()). */
  sample(ms, bytes) {
    if (this.last && ms > this.last.ms) {
      this.points.push({ seconds: ms / 1000, rate: (bytes - this.last.bytes) / MEGABYTE / ((ms - this.last.ms) / 1000) });
    }
    if (!this.start) this.start = ms / 1000;
    this.last = { ms, bytes };
    this.draw();
  }

  draw() {
    const { canvas, context: g } = this;
    const width = canvas.width;
    const height = canvas.height;
    const plotWidth = width - PADDING.left - PADDING.right;
    const plotHeight = height - PADDING.top - PADDING.bottom;
    g.clearRect(0, 0, width, height);
    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#555';
    g.strokeStyle = '#ddd';
    const maxRate = Math.max(1, ...this.points.map((p) => p.rate)) * 1.1;
    for (let i = 0; i <= GRID_LINES; i++) {
      const y = PADDING.top + plotHeight - (plotHeight * i) / GRID_LINES;
      g.beginPath();
      g.moveTo(PADDING.left, y);
      g.lineTo(width - PADDING.right, y);
      g.stroke();
      g.fillText(`${((maxRate * i) / GRID_LINES).toFixed(0)} MB/s`, 4, y + 4);
    }
    if (this.points.length === 0) return;
    const t0 = this.start;
    const span = Math.max(0.5, this.points[this.points.length - 1].seconds - t0);
    g.fillText(`${span.toFixed(1)} s`, width - PADDING.right - 30, height - 8);
    g.strokeStyle = '#1f6feb';
    g.lineWidth = 2;
    g.beginPath();
    this.points.forEach((p, i) => {
      const x = PADDING.left + (plotWidth * (p.seconds - t0)) / span;
      const y = PADDING.top + plotHeight - (plotHeight * p.rate) / maxRate;
      if (i === 0) g.moveTo(x, y);
      else g.lineTo(x, y);
    });
    g.stroke();
    g.lineWidth = 1;
  }
}
