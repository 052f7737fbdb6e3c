// The segment form (new or edit): ID, name, priority and a JSON rule, with Preview
// (POST /v1/segments/preview) and Save (POST /v1/segments or PUT /v1/segments/<id>). Errors
// with JSON paths are shown at their fields. Also the #/segments/<id> screen around it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { ApiError, get, post, put, seg } from './api.js';
import { hrefs, navigate } from './router.js';
import { ErrorNote, Loading, ProfileLink, useFocusHeading, useLoad } from './ui.js';
import { formatNumber, formatTime, plural } from './format.js';
import { ExportButton } from './segment-export.js';

const EXAMPLE_RULE = { all: [{ field: 'tags', op: 'contains', value: 'vip' }] };
const FIELD_PATHS = ['/segment_id', '/name', '/priority'];

// A message for the next screen (after a new segment is saved and the route changes).
let flash = '';
export function setFlash(message) {
  flash = message;
}
export function takeFlash() {
  const message = flash;
  flash = '';
  return message;
}

export function savedMessage(answer) {
  const change = answer?.change;
  const members = typeof answer?.members === 'number' ? `: ${plural(answer.members, 'member')}` : '';
  const moved = change ? ` (${formatNumber(change.entered ?? 0)} entered, ${formatNumber(change.left ?? 0)} left)` : '';
  return `Segment ${answer?.segment_id ?? ''} saved${members}${moved}.`;
}

function FieldErrors({ errors, id, showPath = false }) {
  return html`<div id=${id} class="field-errors">
    ${errors.map((e, i) => html`
      <p key=${i} class="field-error" data-testid="segment-error" data-path=${e.path}>
        ${showPath && html`<code>${e.path}</code> `}${e.message}</p>`)}
  </div>`;
}

function Preview({ preview }) {
  const sample = Array.isArray(preview.sample) ? preview.sample : [];
  return html`
    <div class="preview card" data-testid="segment-preview-result">
      <h3>Preview</h3>
      <p><strong data-testid="segment-preview-count">${plural(preview.members ?? 0, 'member')}</strong> would be in this segment.</p>
      ${sample.length > 0 && html`
        <div class="table-wrap">
          <table>
            <caption>A sample of the members</caption>
            <thead><tr><th scope="col">Profile</th><th scope="col">Email</th><th scope="col">First name</th><th scope="col">Last name</th></tr></thead>
            <tbody>${sample.map((m) => html`
              <tr key=${m.customer360_id}>
                <td><${ProfileLink} id=${m.customer360_id} /></td>
                <td>${m.primary_email || '—'}</td><td>${m.first_name || '—'}</td><td>${m.last_name || '—'}</td>
              </tr>`)}</tbody>
          </table>
        </div>`}
    </div>`;
}

/** `segment` is null for a new one. `onSaved(answer)` after a successful save. */
export function SegmentForm({ segment, onSaved, onCancel }) {
  const isNew = !segment;
  const [segmentId, setSegmentId] = useState('');
  const [name, setName] = useState(segment?.name ?? '');
  const [priority, setPriority] = useState(segment?.priority != null ? String(segment.priority) : '100');
  const [ruleText, setRuleText] = useState(JSON.stringify(segment?.rule ?? EXAMPLE_RULE, null, 2));
  const [errors, setErrors] = useState([]);
  const [general, setGeneral] = useState(null);
  const [preview, setPreview] = useState(null);
  const [busy, setBusy] = useState('');
  const [status, setStatus] = useState('');
  const form = useRef(null);
  const priorityInput = useRef(null);

  const at = (path) => errors.filter((e) => e.path === path);
  const ruleErrors = errors.filter((e) => e.path === '/rule' || e.path.startsWith('/rule/'));
  const otherErrors = errors.filter((e) => !FIELD_PATHS.includes(e.path) && !ruleErrors.includes(e));

  useEffect(() => {
    if (!errors.length) return;
    form.current?.querySelector('[aria-invalid="true"]')?.focus();
  }, [errors]);

  /** The parsed rule, or null after reporting the JSON mistake at the field. */
  const parseRule = () => {
    try {
      return { rule: JSON.parse(ruleText) };
    } catch (err) {
      setErrors([{ path: '/rule', message: `is not valid JSON: ${err.message}` }]);
      setStatus('');
      return null;
    }
  };
  const fail = (err) => {
    const list = err instanceof ApiError ? err.errors.filter((e) => e && typeof e.path === 'string') : [];
    if (err.status === 409 && isNew) list.push({ path: '/segment_id', message: err.message });
    setErrors(list);
    setGeneral(list.length ? null : err);
    setStatus(list.length ? `${plural(list.length, 'problem')} to fix.` : '');
  };

  const runPreview = async () => {
    setGeneral(null);
    const parsed = parseRule();
    if (!parsed) return;
    setErrors([]);
    setBusy('preview');
    setStatus('Previewing…');
    try {
      const answer = await post('/v1/segments/preview', { rule: parsed.rule });
      setPreview(answer || { members: 0, sample: [] });
      setStatus(`Preview: ${plural(answer?.members ?? 0, 'member')}.`);
    } catch (err) {
      setPreview(null);
      fail(err);
    } finally {
      setBusy('');
    }
  };

  const save = async (event) => {
    event.preventDefault();
    if (busy) return;
    setGeneral(null);
    const parsed = parseRule();
    if (!parsed) return;
    if (priorityInput.current?.validity?.badInput) {
      setErrors([{ path: '/priority', message: 'must be a whole number (lower wins the primary segment)' }]);
      return;
    }
    const body = { name, rule: parsed.rule };
    if (priority.trim() !== '') body.priority = Number(priority);
    setErrors([]);
    setBusy('save');
    setStatus('Saving…');
    try {
      const answer = isNew
        ? await post('/v1/segments', { segment_id: segmentId.trim(), ...body })
        : await put(`/v1/segments/${seg(segment.segment_id)}`, body);
      setStatus(savedMessage(answer));
      onSaved?.({ segment_id: isNew ? segmentId.trim() : segment.segment_id, ...answer });
    } catch (err) {
      fail(err);
    } finally {
      setBusy('');
    }
  };

  const invalid = (path) => (at(path).length ? 'true' : undefined);
  const describe = (path, hint) => [hint, at(path).length ? `err-${path.slice(1)}` : ''].filter(Boolean).join(' ') || undefined;

  return html`
    <form ref=${form} class="segment-form card" data-testid="segment-form" onSubmit=${save} novalidate
      aria-labelledby="segment-form-title">
      <h2 id="segment-form-title">${isNew ? 'New segment' : `Edit ${segment.name || segment.segment_id}`}</h2>
      ${isNew ? html`
        <div class="field">
          <label for="seg-id">Segment ID</label>
          <input id="seg-id" data-testid="segment-id" value=${segmentId} autocomplete="off" spellcheck="false"
            aria-invalid=${invalid('/segment_id')} aria-describedby=${describe('/segment_id', 'seg-id-hint')}
            onInput=${(e) => setSegmentId(e.currentTarget.value)} />
          <p id="seg-id-hint" class="hint">1 to 64 lower-case letters, digits, "_" or "-", starting with a letter or digit. It cannot change later.</p>
          <${FieldErrors} id="err-segment_id" errors=${at('/segment_id')} />
        </div>` : html`
        <p>Segment ID <code>${segment.segment_id}</code></p>`}
      <div class="field">
        <label for="seg-name">Name</label>
        <input id="seg-name" data-testid="segment-name" value=${name} maxlength="200"
          aria-invalid=${invalid('/name')} aria-describedby=${describe('/name')}
          onInput=${(e) => setName(e.currentTarget.value)} />
        <${FieldErrors} id="err-name" errors=${at('/name')} />
      </div>
      <div class="field narrow">
        <label for="seg-priority">Priority</label>
        <input id="seg-priority" ref=${priorityInput} type="number" step="1" inputmode="numeric" data-testid="segment-priority"
          value=${priority} aria-invalid=${invalid('/priority')} aria-describedby=${describe('/priority', 'seg-priority-hint')}
          onInput=${(e) => setPriority(e.currentTarget.value)} />
        <p id="seg-priority-hint" class="hint">A whole number; a profile's primary segment is its member segment of lowest priority.</p>
        <${FieldErrors} id="err-priority" errors=${at('/priority')} />
      </div>
      <div class="field">
        <label for="seg-rule">Rule (JSON)</label>
        <textarea id="seg-rule" data-testid="segment-rule" rows="10" spellcheck="false" value=${ruleText}
          aria-invalid=${ruleErrors.length ? 'true' : undefined}
          aria-describedby=${['seg-rule-hint', ruleErrors.length ? 'err-rule' : ''].filter(Boolean).join(' ')}
          onInput=${(e) => { setRuleText(e.currentTarget.value); setPreview(null); }}></textarea>
        <p id="seg-rule-hint" class="hint">Groups <code>all</code>, <code>any</code>, <code>not</code> and conditions
          <code>{"field", "op", "value"}</code>, as in docs/segments.md. Example: <code>${JSON.stringify(EXAMPLE_RULE)}</code></p>
        <${FieldErrors} id="err-rule" errors=${ruleErrors} showPath=${true} />
      </div>
      ${otherErrors.length > 0 && html`<div role="alert"><${FieldErrors} id="err-other" errors=${otherErrors} showPath=${true} /></div>`}
      <${ErrorNote} error=${general} />
      <p class="status" aria-live="polite" data-testid="segment-status">${status}</p>
      <div class="actions">
        <button type="button" data-testid="segment-preview" aria-disabled=${busy ? 'true' : undefined}
          onClick=${() => !busy && runPreview()}>${busy === 'preview' ? 'Previewing…' : 'Preview'}</button>
        <button type="submit" class="primary" data-testid="segment-save" aria-disabled=${busy ? 'true' : undefined}>
          ${busy === 'save' ? 'Saving…' : 'Save'}</button>
        ${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
      </div>
      ${preview && html`<${Preview} preview=${preview} />`}
    </form>`;
}

/** The #/segments/<id> screen: one segment, its export and its edit form. */
export function SegmentDetail({ id }) {
  const heading = useRef(null);
  const [note] = useState(takeFlash);
  const { data, error, setData } = useLoad((signal) => get(`/v1/segments/${seg(id)}`, { signal }), [id]);
  useFocusHeading(heading, data ? 'loaded' : 'loading');
  return html`
    <section aria-labelledby="segment-title">
      <p><a href=${hrefs.segments}>← All segments</a></p>
      <h1 id="segment-title" ref=${heading} tabindex="-1">${data?.name || 'Segment'}</h1>
      ${note && html`<p class="success" role="status">${note}</p>`}
      <${ErrorNote} error=${error} />
      ${!data && !error && html`<${Loading} label="Loading the segment…" />`}
      ${data && html`
        <p data-testid="segment-summary"><code>${data.segment_id}</code> · ${plural(data.members ?? 0, 'member')}
          · priority ${formatNumber(data.priority)}${data.changed_at ? ` · saved ${formatTime(data.changed_at)}` : ''}</p>
        <${ExportButton} segmentId=${data.segment_id} name=${data.name} />
        <${SegmentForm} segment=${data}
          onSaved=${(answer) => setData((old) => ({ ...old, ...answer }))} onCancel=${() => navigate(hrefs.segments)} />`}
    </section>`;
}
