// The segments screen (#/segments): every segment with its member count and rule, "Edit"
// (to #/segments/<id>), "Export CSV", and "New segment" (the form, on this screen).
import { useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { get } from './api.js';
import { hrefs, navigate } from './router.js';
import { ErrorNote, Loading, useFocusHeading, useLoad } from './ui.js';
import { formatNumber, formatTime, plural } from './format.js';
import { SegmentForm, savedMessage, setFlash, takeFlash } from './segment-form.js';
import { ExportButton } from './segment-export.js';

function SegmentRow({ s }) {
  return html`
    <li class="card segment-row" data-testid="segment-row" data-segment-id=${s.segment_id}>
      <div class="row-head">
        <h2 class="h3">${s.name || s.segment_id}</h2>
        <p class="count-big" data-testid="segment-members">${plural(s.members ?? 0, 'member')}</p>
      </div>
      <p class="muted small"><code>${s.segment_id}</code> · priority ${formatNumber(s.priority)}
        ${s.changed_at ? ` · saved ${formatTime(s.changed_at)}` : ''}</p>
      <p class="small">Rule</p>
      <pre class="rule" data-testid="segment-rule-text">${JSON.stringify(s.rule ?? null)}</pre>
      <div class="actions">
        <a class="button" href=${hrefs.segment(s.segment_id)} data-testid="segment-edit">
          Edit<span class="visually-hidden"> ${s.name || s.segment_id}</span></a>
        <${ExportButton} segmentId=${s.segment_id} name=${s.name} />
      </div>
    </li>`;
}

export function Segments() {
  const heading = useRef(null);
  useFocusHeading(heading, 'segments');
  const [creating, setCreating] = useState(false);
  const [note] = useState(takeFlash);
  const newButton = useRef(null);
  const { data, error } = useLoad(async (signal) => {
    const answer = await get('/v1/segments', { signal });
    return Array.isArray(answer?.segments) ? answer.segments : Array.isArray(answer) ? answer : [];
  }, []);

  const closeForm = () => {
    setCreating(false);
    setTimeout(() => newButton.current?.focus(), 0);
  };
  const onSaved = (answer) => {
    setFlash(savedMessage(answer));
    navigate(hrefs.segment(answer.segment_id));
  };

  return html`
    <section aria-labelledby="segments-title">
      <div class="page-head">
        <h1 id="segments-title" ref=${heading} tabindex="-1">Segments</h1>
        ${!creating && html`
          <button type="button" class="primary" ref=${newButton} data-testid="segment-new"
            onClick=${() => { setCreating(true); setTimeout(() => document.getElementById('seg-id')?.focus(), 0); }}>New segment</button>`}
      </div>
      ${note && html`<p class="success" role="status">${note}</p>`}
      ${creating && html`<${SegmentForm} segment=${null} onSaved=${onSaved} onCancel=${closeForm} />`}
      <${ErrorNote} error=${error} />
      ${!data && !error && html`<${Loading} label="Loading segments…" />`}
      ${data && data.length === 0 && html`<p class="muted">No segment yet. "New segment" makes one.</p>`}
      ${data && data.length > 0 && html`
        <p class="muted">${plural(data.length, 'segment')}</p>
        <ul class="plain segment-list">
          ${data.map((s) => html`<${SegmentRow} key=${s.segment_id} s=${s} />`)}
        </ul>`}
    </section>`;
}
