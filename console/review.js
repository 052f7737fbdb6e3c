// The review queue (GET /v1/identity/review): probable matches shown side by side with their
// evidence, approved or rejected one by one or in bulk; blocked merges and shared identifiers
// are listed read-only.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { eachLimited, get, isAbort, post, seg } from './api.js';
import { ErrorNote, Loading, ProfileLink, useFocusHeading, useLoad } from './ui.js';
import { DASH, displayName, formatPercent, formatTime, humanize, plural } from './format.js';
import { Contributions } from './why.js';

function ProfileCard({ id, state, title }) {
  const p = state?.profile;
  const traits = p?.traits || {};
  const list = (xs) => (Array.isArray(xs) && xs.length ? xs.join(', ') : DASH);
  const sources = p?.source_ids && typeof p.source_ids === 'object'
    ? Object.entries(p.source_ids).map(([s, ids]) => `${s}: ${(Array.isArray(ids) ? ids : [ids]).join(', ')}`).join('; ')
    : '';
  return html`
    <div class="side">
      <h4>${title}: <${ProfileLink} id=${id}>${p ? displayName(p) : id}</${ProfileLink}></h4>
      ${!state && html`<p class="muted small">Loading…</p>`}
      ${state?.error && html`<p class="alert small" role="alert">${state.error.message}</p>`}
      ${p && html`
        <dl class="fields compact">
          <div class="field-row"><dt>Emails</dt><dd>${list(p.emails)}</dd></div>
          <div class="field-row"><dt>Phones</dt><dd>${list(p.phones)}</dd></div>
          <div class="field-row"><dt>Date of birth</dt><dd>${(p.date_of_birth || traits.date_of_birth || DASH).toString().slice(0, 10)}</dd></div>
          <div class="field-row"><dt>City</dt><dd>${p.city || traits.city || DASH}</dd></div>
          <div class="field-row"><dt>Source IDs</dt><dd>${sources || DASH}</dd></div>
        </dl>`}
    </div>`;
}

function SuggestionRow({ s, profiles, selected, onSelect, outcome, onAct }) {
  const done = outcome?.done;
  const busy = outcome?.busy;
  const label = `${displayName(profiles[s.customer360_id]?.profile)} and ${displayName(profiles[s.candidate_id]?.profile)}`;
  return html`
    <li class="review-row card" data-testid="review-row" data-id=${s.id}>
      <div class="row-head">
        <label class="check">
          <input type="checkbox" data-testid="review-select" checked=${selected} disabled=${done || !s.id}
            onChange=${(e) => onSelect(s.id, e.currentTarget.checked)} />
          <span>Select <span class="visually-hidden">${label}</span></span>
        </label>
        <h3>Probable match: <strong>${formatPercent(s.probability)}</strong></h3>
        <p class="muted small">Suggested ${formatTime(s.created_at)}</p>
      </div>
      <div class="side-by-side">
        <${ProfileCard} id=${s.customer360_id} state=${profiles[s.customer360_id]} title="Profile" />
        <${ProfileCard} id=${s.candidate_id} state=${profiles[s.candidate_id]} title="Candidate" />
      </div>
      <${Contributions} contributions=${s.evidence} caption="Evidence" />
      <div class="actions">
        <button type="button" class="primary" data-testid="review-approve" aria-disabled=${done || busy || !s.id ? 'true' : undefined}
          onClick=${() => !(done || busy || !s.id) && onAct(s, 'approve')}>Approve<span class="visually-hidden"> merge of ${label}</span></button>
        <button type="button" data-testid="review-reject" aria-disabled=${done || busy || !s.id ? 'true' : undefined}
          onClick=${() => !(done || busy || !s.id) && onAct(s, 'reject')}>Reject<span class="visually-hidden"> match of ${label}</span></button>
      </div>
      <div class="outcome" aria-live="polite" data-testid="review-outcome" data-state=${outcome?.state || ''}>
        ${outcome?.busy && html`<p class="muted">Working…</p>`}
        ${outcome?.state === 'approved' && html`<p class="success">Merged. Survivor: <${ProfileLink} id=${outcome.survivor} />.</p>`}
        ${outcome?.state === 'rejected' && html`<p class="success">Rejected: the two stay separate.</p>`}
        ${outcome?.state === 'error' && html`<p class="alert" role="alert">${outcome.message}</p>`}
      </div>
    </li>`;
}

function Blocked({ items }) {
  if (!items.length) return html`<p class="muted">No blocked merges.</p>`;
  return html`<ul class="plain blocked" data-testid="blocked-merges">
    ${items.map((b, i) => html`
      <li key=${i} class="card" data-testid="blocked-row">
        <p><strong>${humanize(b.reason || 'blocked')}</strong> <span class="muted small">${formatTime(b.blocked_at)}</span></p>
        <ul class="inline-list">${(b.profile_ids || []).map((id) => html`<li key=${id}><${ProfileLink} id=${id} /></li>`)}</ul>
      </li>`)}
  </ul>`;
}

function Shared({ items }) {
  if (!items.length) return html`<p class="muted">No identifier is shared by several profiles.</p>`;
  return html`
    <div class="table-wrap">
      <table data-testid="shared-identifiers">
        <thead><tr><th scope="col">Identifier</th><th scope="col" class="num">Profiles</th><th scope="col">Still a merge key</th><th scope="col">Owner</th></tr></thead>
        <tbody>${items.map((x, i) => html`
          <tr key=${i}>
            <th scope="row">${humanize(x.type || '')}${x.source ? ` (${x.source})` : ''}: <span class="id">${x.value}</span></th>
            <td class="num">${x.profiles}${x.limit != null ? ` of ${x.limit}` : ''}</td>
            <td>${x.merge_key ? 'yes' : 'no'}</td>
            <td><${ProfileLink} id=${x.owner_id} /></td>
          </tr>`)}</tbody>
      </table>
    </div>`;
}

export function Review() {
  const heading = useRef(null);
  useFocusHeading(heading, 'review');
  const { data, error, reload } = useLoad((signal) => get('/v1/identity/review?limit=100', { signal }), []);
  const [profiles, setProfiles] = useState({});
  const [selected, setSelected] = useState(new Set());
  const [outcomes, setOutcomes] = useState({});
  const [summary, setSummary] = useState('');
  const [bulkBusy, setBulkBusy] = useState(false);

  const suggestions = Array.isArray(data?.suggested_matches) ? data.suggested_matches : [];
  const blocked = Array.isArray(data?.blocked_merges) ? data.blocked_merges : [];
  const shared = Array.isArray(data?.shared_identifiers) ? data.shared_identifiers : [];

  useEffect(() => {
    if (!data) return undefined;
    const controller = new AbortController();
    const ids = [...new Set(suggestions.flatMap((s) => [s.customer360_id, s.candidate_id]).filter(Boolean))];
    eachLimited(ids, 6, async (id) => {
      try {
        const profile = await get(`/v1/profiles/${seg(id)}`, { signal: controller.signal });
        setProfiles((old) => ({ ...old, [id]: { profile } }));
      } catch (err) {
        if (!isAbort(err)) setProfiles((old) => ({ ...old, [id]: { error: err } }));
      }
    });
    return () => controller.abort();
  }, [data]);

  const setOutcome = (id, o) => setOutcomes((old) => ({ ...old, [id]: o }));
  const act = async (s, action) => {
    setOutcome(s.id, { busy: true });
    try {
      const answer = await post(`/v1/identity/review/${seg(s.id)}/${action}`, {});
      const survivor = answer?.survivor?.customer360_id ?? answer?.survivor ?? s.customer360_id;
      setOutcome(s.id, { done: true, state: action === 'approve' ? 'approved' : 'rejected', survivor });
      setSelected((old) => { const n = new Set(old); n.delete(s.id); return n; });
      return true;
    } catch (err) {
      setOutcome(s.id, { state: 'error', message: err.message });
      return false;
    }
  };
  const bulk = async (action) => {
    const rows = suggestions.filter((s) => selected.has(s.id) && !outcomes[s.id]?.done);
    if (!rows.length || bulkBusy) return;
    setBulkBusy(true);
    setSummary(`${action === 'approve' ? 'Approving' : 'Rejecting'} ${plural(rows.length, 'match', 'matches')}…`);
    let ok = 0;
    for (const s of rows) if (await act(s, action)) ok += 1;
    setBulkBusy(false);
    const failed = rows.length - ok;
    setSummary(`${plural(ok, 'match', 'matches')} ${action === 'approve' ? 'approved' : 'rejected'}${failed ? `, ${failed} refused (see each row)` : ''}.`);
  };
  const onSelect = (id, on) => setSelected((old) => { const n = new Set(old); if (on) n.add(id); else n.delete(id); return n; });
  const open = suggestions.filter((s) => s.id && !outcomes[s.id]?.done);
  const allSelected = open.length > 0 && open.every((s) => selected.has(s.id));

  return html`
    <section aria-labelledby="review-title">
      <div class="page-head">
        <h1 id="review-title" ref=${heading} tabindex="-1">Review queue</h1>
        <button type="button" onClick=${reload}>Refresh</button>
      </div>
      <${ErrorNote} error=${error} />
      ${!data && !error && html`<${Loading} label="Loading the review queue…" />`}
      ${data && html`
        <h2>Suggested matches <span class="count">${suggestions.length}</span></h2>
        ${suggestions.length === 0 ? html`<p class="muted">No suggested match waits for review.</p>` : html`
          <div class="toolbar" role="group" aria-label="Selected matches">
            <label class="check"><input type="checkbox" checked=${allSelected} disabled=${!open.length}
              onChange=${(e) => setSelected(e.currentTarget.checked ? new Set(open.map((s) => s.id)) : new Set())} />
              <span>Select all</span></label>
            <button type="button" data-testid="review-bulk-approve" aria-disabled=${!selected.size || bulkBusy ? 'true' : undefined} onClick=${() => bulk('approve')}>
              Approve selected (${selected.size})</button>
            <button type="button" data-testid="review-bulk-reject" aria-disabled=${!selected.size || bulkBusy ? 'true' : undefined} onClick=${() => bulk('reject')}>
              Reject selected (${selected.size})</button>
          </div>
          <p class="status" aria-live="polite" data-testid="review-summary">${summary}</p>
          <ol class="plain">
            ${suggestions.map((s, i) => html`
              <${SuggestionRow} key=${s.id || i} s=${s} profiles=${profiles} selected=${selected.has(s.id)}
                onSelect=${onSelect} outcome=${outcomes[s.id]} onAct=${act} />`)}
          </ol>`}
        <h2>Blocked merges <span class="count">${blocked.length}</span></h2>
        <p class="muted small">Merges the safety rules refused. Read only.</p>
        <${Blocked} items=${blocked} />
        <h2>Shared identifiers <span class="count">${shared.length}</span></h2>
        <${Shared} items=${shared} />`}
    </section>`;
}
