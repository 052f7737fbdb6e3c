// A uPlot line chart of per-minute series, with a keyboard-operable legend (toggle buttons),
// a readout of the values under the cursor, and its width following its container.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';
import { formatClock, formatNumber } from './format.js';

// Okabe-Ito colours (readable with colour-blindness); dashes tell apart series beyond them.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];
const HEIGHT = 220;

export const colourOf = (i) => COLOURS[i % COLOURS.length];
export const dashOf = (i) => DASHES[Math.floor(i / COLOURS.length) % DASHES.length];

/** The series aligned to the minutes: missing or bad points become null (a gap). */
export function alignSeries(minutes, series) {
  const xs = minutes.map((m) => Math.floor(Date.parse(m) / 1000));
  const names = Object.keys(series || {});
  const ys = names.map((name) => {
    const values = Array.isArray(series[name]) ? series[name] : [];
    return xs.map((_, i) => (typeof values[i] === 'number' && Number.isFinite(values[i]) ? values[i] : null));
  });
  return { xs, names, ys };
}

function options(names, width, unit, readout) {
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [
      { stroke: '#333', grid: { stroke: '#e3e3e3' } },
      { stroke: '#333', grid: { stroke: '#e3e3e3' }, label: unit, size: 56, labelSize: 18 },
    ],
    series: [
      {},
      ...names.map((name, i) => ({
        // Points drawn while there are too few readings for a line to show.
        label: name, stroke: colourOf(i), width: 2, dash: dashOf(i), points: { show: (u) => u.data[0].length < 4, size: 8, fill: colourOf(i) }, spanGaps: false,
      })),
    ],
    hooks: {
      setCursor: [(u) => {
        const i = u.cursor.idx;
        if (!readout.current) return;
        if (i == null) {
          readout.current.textContent = '\u00a0';
          return;
        }
        const at = formatClock(new Date(u.data[0][i] * 1000));
        const parts = names.map((name, s) => `${name} ${u.data[s + 1][i] == null ? '—' : formatNumber(u.data[s + 1][i])}`);
        readout.current.textContent = `${at}: ${parts.join(', ')}`;
      }],
    },
  };
}

/** A short history (a process just started) still spans five minutes: one reading is a moment, not years. */
function spanShortHistory(u, xs) {
  if (xs.length === 0 || xs.at(-1) - xs[0] >= 300) return;
  u.setScale('x', { min: xs.at(-1) - 300, max: xs.at(-1) + 30 });
}

/**
 * A chart of `series` ({name: [n per minute]}) over `minutes`; `unit` labels the y axis.
 * The drawing is hidden from screen readers: the caller gives a text summary.
 */
export function Chart({ minutes, series, unit, totals }) {
  const box = useRef(null);
  const readout = useRef(null);
  const chart = useRef(null);
  const [hidden, setHidden] = useState(() => new Set());
  const { xs, names, ys } = alignSeries(minutes, series);
  const shape = names.join('\u0000');

  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const width = Math.max(240, Math.floor(el.clientWidth));
    const u = new uPlot(options(names, width, unit, readout), [xs, ...ys], el);
    chart.current = u;
    spanShortHistory(u, xs);
    setHidden(new Set());
    const observer = new ResizeObserver(() => {
      const w = Math.max(240, Math.floor(el.clientWidth));
      if (w !== u.width) u.setSize({ width: w, height: HEIGHT });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [shape, unit]);

  useEffect(() => {
    if (!chart.current) return;
    chart.current.setData([xs, ...ys]);
    spanShortHistory(chart.current, xs);
  }, [minutes, series]);

  const toggle = (i) => {
    const next = new Set(hidden);
    if (next.has(i)) next.delete(i); else next.add(i);
    setHidden(next);
    chart.current?.setSeries(i + 1, { show: !next.has(i) });
  };

  return html`
    <div class="chart">
      <div class="chart-plot" ref=${box} aria-hidden="true"></div>
      <p class="readout small muted" ref=${readout} aria-hidden="true">\u00a0</p>
      <ul class="legend" aria-label="Legend: press a series to hide or show it">
        ${names.map((name, i) => html`
          <li key=${name}>
            <button type="button" class="legend-item" aria-pressed=${hidden.has(i) ? 'false' : 'true'} onClick=${() => toggle(i)}>
              <span class="swatch" aria-hidden="true"
                style=${`border-top: 3px ${dashOf(i).length ? 'dashed' : 'solid'} ${colourOf(i)}`}></span>
              <span>${name}</span>
              ${totals && totals[i] !== undefined && html`<span class="muted">${totals[i]}</span>`}
            </button>
          </li>`)}
      </ul>
    </div>`;
}
