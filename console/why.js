// "Why is this one person?": the merges into a profile (GET /v1/profiles/<id>/merges) with
// their rule and evidence, and "Split" (POST /v1/profiles/<id>/split) after a confirmation.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { get, post, seg } from './api.js';
import { ConfirmDialog } from './dialog.js';
import { ErrorNote, Loading, ProfileLink, useLoad } from './ui.js';
import { displayName, formatNumber, formatPercent, formatTime, humanize } from './format.js';

const RULES = {
  auth_user_id: 'same auth user ID',
  email_phone: 'same email and phone',
  email: 'same email',
  phone: 'same phone',
  source_record_id: 'same source record ID',
  anonymous_id: 'same anonymous ID',
  probabilistic: 'probable match (scored)',
  new_profile: 'new profile',
};

export const ruleLabel = (rule) => RULES[rule] || humanize(rule || 'unknown rule');

/** A table of match contributions: comparison, level, weight. */
export function Contributions({ contributions, caption }) {
  if (!Array.isArray(contributions) || contributions.length === 0) return html`<p class="muted">No comparisons recorded.</p>`;
  return html`
    <div class="table-wrap">
      <table class="evidence">
        ${caption && html`<caption>${caption}</caption>`}
        <thead><tr><th scope="col">Comparison</th><th scope="col">Level</th><th scope="col" class="num">Weight</th></tr></thead>
        <tbody>
          ${contributions.map((c, i) => html`
            <tr key=${i}>
              <th scope="row">${humanize(c.comparison ?? '')}</th>
              <td>${c.level ?? '—'}</td>
              <td class="num">${typeof c.weight === 'number' ? (c.weight > 0 ? '+' : '') + formatNumber(c.weight) : '—'}</td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

function Evidence({ evidence }) {
  const items = Array.isArray(evidence) ? evidence : [];
  if (items.length === 0) return html`<p class="muted">No evidence recorded.</p>`;
  const identifiers = items.filter((e) => e && 'value' in e);
  const scored = items.filter((e) => e && 'contributions' in e);
  return html`
    ${identifiers.length > 0 && html`
      <p class="small">Shared identifiers:</p>
      <ul class="plain">
        ${identifiers.map((x, i) => html`
          <li key=${i}><span class="label-inline">${humanize(x.type || 'identifier')}${x.source ? ` (${x.source})` : ''}</span>
            <span class="id">${x.value}</span></li>`)}
      </ul>`}
    ${scored.map((s, i) => html`
      <div key=${i}>
        <p class="small">Probability of one person: <strong>${formatPercent(s.probability)}</strong></p>
        <${Contributions} contributions=${s.contributions} caption="Comparisons that made the match" />
      </div>`)}`;
}

function MergeRow({ merge, onSplit }) {
  return html`
    <li class="merge" data-testid="merge-row" data-merged-id=${merge.merged_id}>
      <h3>Merged <${ProfileLink} id=${merge.merged_id} /></h3>
      <dl class="fields compact">
        <div class="field-row"><dt>Rule</dt><dd>${ruleLabel(merge.rule)}</dd></div>
        <div class="field-row"><dt>When</dt><dd>${formatTime(merge.merged_at)}</dd></div>
        ${merge.event_id && html`<div class="field-row"><dt>Caused by event</dt><dd class="id">${merge.event_id}</dd></div>`}
        ${merge.split_at && html`<div class="field-row"><dt>Split</dt><dd>${formatTime(merge.split_at)}</dd></div>`}
      </dl>
      <${Evidence} evidence=${merge.evidence} />
      ${!merge.split_at && html`
        <button type="button" class="danger" data-testid="split-button" onClick=${() => onSplit(merge)}>
          Split<span class="visually-hidden"> ${merge.merged_id} from this profile</span></button>`}
    </li>`;
}

export function Why({ id, reloadKey, onChanged }) {
  const { data, error, loading, reload } = useLoad(async (signal) => {
    const answer = await get(`/v1/profiles/${seg(id)}/merges`, { signal });
    if (Array.isArray(answer)) return answer;
    return Array.isArray(answer?.merges) ? answer.merges : [];
  }, [id, reloadKey]);
  const [confirming, setConfirming] = useState(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState(null);
  const [splitError, setSplitError] = useState(null);
  const outcomeRef = useRef(null);

  useEffect(() => {
    if (outcome || splitError) outcomeRef.current?.focus();
  }, [outcome, splitError]);

  const split = async () => {
    const merge = confirming;
    setBusy(true);
    setSplitError(null);
    try {
      const body = { merged_id: merge.merged_id };
      if (reason.trim()) body.reason = reason.trim();
      const answer = await post(`/v1/profiles/${seg(id)}/split`, body);
      setOutcome({ survivor: answer?.survivor ?? null, restored: answer?.restored ?? null, mergedId: merge.merged_id });
      setConfirming(null);
      setReason('');
      reload();
      onChanged?.();
    } catch (err) {
      setSplitError(err);
      setConfirming(null);
    } finally {
      setBusy(false);
    }
  };

  const merges = data || [];
  return html`
    <section class="card wide" aria-labelledby="sec-why" data-testid="why">
      <h2 id="sec-why">Why is this one person?</h2>
      <div ref=${outcomeRef} tabindex="-1" aria-live="polite" data-testid="split-outcome">
        ${outcome && html`
          <p class="success">Split done. Survivor: <${ProfileLink} id=${outcome.survivor?.customer360_id || id}>
            ${outcome.survivor ? displayName(outcome.survivor) : id}</${ProfileLink}>;
            restored: <${ProfileLink} id=${outcome.restored?.customer360_id || outcome.mergedId}>
            ${outcome.restored ? displayName(outcome.restored) : outcome.mergedId}</${ProfileLink}>.</p>`}
        <${ErrorNote} error=${splitError} />
      </div>
      <${ErrorNote} error=${error} />
      ${loading && !data && html`<${Loading} label="Loading merges…" />`}
      ${data && merges.length === 0 && html`<p class="muted">No other profile was merged into this one: it was one person from the start.</p>`}
      ${merges.length > 0 && html`
        <ol class="merges">
          ${merges.map((m, i) => html`<${MergeRow} key=${`${m.merged_id}-${i}`} merge=${m} onSplit=${setConfirming} />`)}
        </ol>`}
      <${ConfirmDialog} open=${!!confirming} busy=${busy} title="Split this merge?" okLabel="Split"
        message=${confirming ? `The profile ${confirming.merged_id} becomes a separate person again, with the identifiers and records it brought. The two are never merged again automatically.` : ''}
        onConfirm=${split} onCancel=${() => { setConfirming(null); setReason(''); }}>
        <div class="field">
          <label for="split-reason">Reason (optional, kept in the audit)</label>
          <input id="split-reason" type="text" maxlength="500" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
        </div>
      </${ConfirmDialog}>
    </section>`;
}
