// Pipeline health (#/health): GET /v1/pipeline/health every 30 s, one chart per series group
// (events in, resolver links, blocked merges, dead letters, consumer lag), each with a
// caption and a text summary for screen readers.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { get } from './api.js';
import { Chart, alignSeries } from './charts.js';
import { ErrorNote, Loading, useFocusHeading, useLoad } from './ui.js';
import { formatClock, formatNumber, formatScalar, humanize } from './format.js';

const REFRESH_MS = 30_000;

const GROUPS = [
  { key: 'events_in', title: 'Events in per minute, by source', short: 'Events in', unit: 'events', how: 'sum',
    caption: 'Events accepted from each source system, per minute.' },
  { key: 'links', title: 'Resolver links per minute, by rule', short: 'Resolver links', unit: 'links', how: 'sum',
    caption: 'Events the resolver linked to a profile, per minute, by the rule that matched.' },
  { key: 'blocked_merges', title: 'Blocked merges per minute, by reason', short: 'Blocked merges', unit: 'merges', how: 'sum',
    caption: 'Merges the safety rules refused, per minute, by reason.' },
  { key: 'dead_letters', title: 'Dead letters per minute, by stage and step', short: 'Dead letters', unit: 'messages', how: 'sum',
    caption: 'Messages set aside as unprocessable, per minute, by stage and step.' },
  { key: 'lag', title: 'Consumer lag, by group', short: 'Consumer lag', unit: 'messages behind', how: 'latest',
    caption: 'Messages each consumer group is behind, at each minute.' },
];

const sum = (values) => values.reduce((a, v) => a + (v ?? 0), 0);
const latest = (values) => {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] != null) return values[i];
  return null;
};

/** Per series: the total over the window (counts) or the latest value and the peak (lag). */
function describe(group, minutes, series) {
  const { names, ys } = alignSeries(minutes, series);
  const span = `last ${minutes.length} minute${minutes.length === 1 ? '' : 's'}`;
  if (group.how === 'latest') {
    const parts = names.map((n, i) => {
      const peak = Math.max(0, ...ys[i].filter((v) => v != null));
      return `${n} ${formatNumber(latest(ys[i]) ?? 0)} now (peak ${formatNumber(peak)})`;
    });
    return { text: `${group.short}, ${span}: ${parts.join(', ')}.`, totals: names.map((n, i) => `${formatNumber(latest(ys[i]) ?? 0)} now`) };
  }
  const totals = ys.map(sum);
  const parts = names.map((n, i) => `${n} ${formatNumber(totals[i])}`);
  return { text: `${group.short}, ${span}: ${parts.join(', ')}.`, totals: totals.map(formatNumber) };
}

function GroupChart({ group, minutes, series }) {
  const hasData = minutes.length > 0 && series && typeof series === 'object' && Object.keys(series).length > 0;
  const id = `chart-${group.key}`;
  const summary = hasData ? describe(group, minutes, series) : null;
  return html`
    <figure class="card health-chart" data-testid="health-chart" data-series=${group.key}
      data-empty=${hasData ? undefined : 'true'} aria-labelledby=${`${id}-title`}>
      <h2 id=${`${id}-title`} class="h3">${group.title}</h2>
      ${hasData ? html`
        <p class="visually-hidden" data-testid="health-summary">${summary.text}</p>
        <${Chart} minutes=${minutes} series=${series} unit=${group.unit} totals=${summary.totals} />` : html`
        <p class="muted" data-testid="health-empty">No data for ${group.short.toLowerCase()} in this window.</p>`}
      <figcaption class="small muted">${group.caption}</figcaption>
    </figure>`;
}

function Totals({ totals }) {
  if (!totals || typeof totals !== 'object' || !Object.keys(totals).length) return null;
  const text = (v) => (v && typeof v === 'object'
    ? Object.entries(v).map(([k, x]) => `${k} ${formatScalar(x)}`).join(', ') || '—'
    : formatScalar(v));
  return html`
    <section class="card" aria-labelledby="totals-title">
      <h2 id="totals-title" class="h3">Totals</h2>
      <dl class="fields compact" data-testid="health-totals">
        ${Object.entries(totals).map(([k, v]) => html`
          <div class="field-row" key=${k}><dt>${humanize(k)}</dt><dd>${text(v)}</dd></div>`)}
      </dl>
    </section>`;
}

export function Health() {
  const heading = useRef(null);
  useFocusHeading(heading, 'health');
  const [updated, setUpdated] = useState(null);
  const { data, error, loading, reload } = useLoad(async (signal) => {
    const answer = await get('/v1/pipeline/health', { signal });
    setUpdated(new Date());
    return answer;
  }, []);

  useEffect(() => {
    const timer = setInterval(() => {
      if (!document.hidden) reload();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  const minutes = Array.isArray(data?.minutes) ? data.minutes : [];
  const series = data?.series && typeof data.series === 'object' ? data.series : {};
  return html`
    <section aria-labelledby="health-title">
      <div class="page-head">
        <h1 id="health-title" ref=${heading} tabindex="-1">Pipeline health</h1>
        <p class="muted small" aria-live="polite" data-testid="health-updated">
          ${updated ? `Updated at ${formatClock(updated)}; refreshes every 30 seconds.` : ''}</p>
        <button type="button" onClick=${reload} aria-disabled=${loading ? 'true' : undefined}>Refresh now</button>
      </div>
      <${ErrorNote} error=${error} />
      ${!data && !error && html`<${Loading} label="Loading pipeline health…" />`}
      ${data && html`
        <div class="charts">
          ${GROUPS.map((g) => html`<${GroupChart} key=${g.key} group=${g} minutes=${minutes} series=${series[g.key]} />`)}
        </div>
        <${Totals} totals=${data.totals} />`}
    </section>`;
}
