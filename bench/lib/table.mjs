// The human-readable form of a bench report: one row per result, figures rounded for reading.

function figure(n) {
  if (n === null || n === undefined) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(3)).toString();
}

function floorText(floor) {
  if (!floor) return '-';
  if ('atLeast' in floor) return `>= ${figure(floor.atLeast)}`;
  if ('atMost' in floor) return `<= ${figure(floor.atMost)}`;
  return `growth <= ${figure(floor.growthAtMost)}`;
}

export function formatTable(report) {
  const header = ['name', 'value', 'unit', 'node', 'ratio', 'runs', 'floor (issue 9)'];
  const rows = report.results.map((r) => [
    r.name, figure(r.value), r.unit, figure(r.node), r.ratio === null ? '-' : r.ratio.toFixed(2),
    r.runs.map(figure).join(' / '), floorText(r.floor),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [
    `${report.machine}, ${report.date}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...report.results.filter((r) => r.note).map((r) => `${r.name}: ${r.note}`),
  ].join('\n');
}
