// A profile's activity timeline, newest first: GET /v1/profiles/<id>/timeline, 50 at a time,
// "Load older" follows the `next` cursor.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { get, isAbort, seg } from './api.js';
import { ErrorNote } from './ui.js';
import { formatMoney, formatPercent, formatTime, humanize, plural, summarizeProperties } from './format.js';

const PAGE = 50;

function Event({ event }) {
  const amount = typeof event.amount === 'number' ? formatMoney(event.amount, event.currency) : '';
  const summary = [amount, summarizeProperties(event.properties)].filter(Boolean).join(' · ');
  const link = [
    event.matched_rule && `linked by ${humanize(event.matched_rule).toLowerCase()}`,
    typeof event.confidence === 'number' && `confidence ${formatPercent(event.confidence)}`,
  ].filter(Boolean).join(', ');
  return html`
    <li class="event" data-testid="timeline-event">
      <time datetime=${event.occurred_at}>${formatTime(event.occurred_at)}</time>
      <div class="event-body">
        <p class="event-title"><span class="badge">${event.source || 'unknown source'}</span>
          <strong>${humanize(event.type || 'event')}</strong></p>
        ${summary && html`<p class="event-summary">${summary}</p>`}
        ${link && html`<p class="muted small">${link}</p>`}
      </div>
    </li>`;
}

export function Timeline({ id, reloadKey }) {
  const [events, setEvents] = useState([]);
  const [next, setNext] = useState(null);
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState(null);
  const [status, setStatus] = useState('');
  const controller = useRef(null);

  const load = async (before) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setBusy(true);
    setError(null);
    try {
      const cursor = before ? `&before=${encodeURIComponent(before)}` : '';
      const page = await get(`/v1/profiles/${seg(id)}/timeline?limit=${PAGE}${cursor}`, { signal: c.signal });
      const got = Array.isArray(page?.events) ? page.events : [];
      setEvents((old) => (before ? [...old, ...got] : got));
      setNext(page?.next ?? null);
      setStatus(before ? `${plural(got.length, 'older event')} loaded` : '');
    } catch (err) {
      if (!isAbort(err)) setError(err);
    } finally {
      if (controller.current === c) setBusy(false);
    }
  };

  useEffect(() => {
    load(null);
    return () => controller.current?.abort();
  }, [id, reloadKey]);

  return html`
    <section class="card wide" aria-labelledby="sec-timeline" data-testid="timeline">
      <h2 id="sec-timeline">Timeline</h2>
      <${ErrorNote} error=${error} />
      ${!busy && !error && events.length === 0 && html`<p class="muted">No events yet.</p>`}
      ${events.length > 0 && html`
        <ol class="timeline" aria-label="Events, newest first">
          ${events.map((e, i) => html`<${Event} key=${e.event_id || i} event=${e} />`)}
        </ol>`}
      ${busy && html`<p class="muted" role="status">Loading events…</p>`}
      <p class="visually-hidden" aria-live="polite">${status}</p>
      ${next && html`
        <button type="button" data-testid="timeline-more" aria-disabled=${busy ? 'true' : undefined}
          onClick=${() => !busy && load(next)}>
          Load older</button>`}
    </section>`;
}
