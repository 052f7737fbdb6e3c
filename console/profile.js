// Profile 360: every field of one profile in sections, its source records and identifiers,
// its consent versions, its timeline, and why it is one person (merges, with split).
// GET /v1/profiles/<id>.
import { useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { ApiError, get, seg } from './api.js';
import { hrefs, replaceRoute } from './router.js';
import { ErrorNote, Loading, useFocusHeading, useLoad } from './ui.js';
import { displayName, formatTime, isBlank } from './format.js';
import { Fields, layoutProfile } from './profile-fields.js';
import { Timeline } from './timeline.js';
import { ConsentHistory } from './consent-history.js';
import { Why } from './why.js';

// A profile answered for a merged-away ID, handed to the screen of its survivor's ID.
let handoff = null;

async function loadProfile(id, includeDeleted, signal) {
  if (handoff && handoff.profile.customer360_id === id) {
    const passed = handoff;
    handoff = null;
    return passed;
  }
  const query = includeDeleted ? '?include_deleted=true' : '';
  const profile = await get(`/v1/profiles/${seg(id)}${query}`, { signal });
  if (!profile || typeof profile !== 'object' || typeof profile.customer360_id !== 'string') {
    throw new ApiError(0, 'the server gave an answer the console cannot read');
  }
  return { profile, askedFor: id };
}

function Section({ id, title, wide = false, children }) {
  return html`
    <section class=${wide ? 'card wide' : 'card'} aria-labelledby=${`sec-${id}`} data-testid=${`profile-section-${id}`}>
      <h2 id=${`sec-${id}`}>${title}</h2>
      ${children}
    </section>`;
}

function identifiersOf(profile) {
  const out = [];
  const add = (type, value, source = '') => !isBlank(value) && out.push({ type, value: String(value), source });
  if (profile.auth_user_id) add('auth user ID', profile.auth_user_id);
  for (const email of Array.isArray(profile.emails) ? profile.emails : []) add('email', email);
  for (const phone of Array.isArray(profile.phones) ? profile.phones : []) add('phone', phone);
  for (const anon of Array.isArray(profile.anonymous_ids) ? profile.anonymous_ids : []) add('anonymous ID', anon);
  const sources = profile.source_ids && typeof profile.source_ids === 'object' ? profile.source_ids : {};
  for (const [source, ids] of Object.entries(sources)) {
    for (const id of Array.isArray(ids) ? ids : [ids]) add('source record', id, source);
  }
  return out;
}

function SourceRecords({ profile }) {
  const sources = profile.source_ids && typeof profile.source_ids === 'object' ? Object.entries(profile.source_ids) : [];
  const identifiers = identifiersOf(profile);
  return html`
    <${Section} id="sources" title="Source records">
      <h3>Records per source system</h3>
      ${sources.length === 0 ? html`<p class="muted">No source records.</p>` : html`
        <ul class="plain" data-testid="source-records">
          ${sources.map(([source, ids]) => html`
            <li key=${source}><span class="label-inline">${source}</span>
              ${(Array.isArray(ids) ? ids : [ids]).join(', ') || '—'}</li>`)}
        </ul>`}
      <h3>Identifiers</h3>
      ${identifiers.length === 0 ? html`<p class="muted">No identifiers.</p>` : html`
        <ul class="plain" data-testid="identifiers">
          ${identifiers.map((x, i) => html`
            <li key=${i}><span class="label-inline">${x.type}${x.source ? ` (${x.source})` : ''}</span> <span class="id">${x.value}</span></li>`)}
        </ul>`}
    </${Section}>`;
}

function ProfileBody({ profile, onChanged, session, reloadKey }) {
  const layout = layoutProfile(profile);
  return html`
    <div class="sections">
      ${layout.sections.map((section) => html`
        <${Section} key=${section.id} id=${section.id} title=${section.title} wide=${section.groups.length > 1}>
          <div class=${section.groups.length > 1 ? 'groups' : undefined}>
            ${section.groups.map((group, i) => html`
              <div class="group" key=${i}>
                ${group.title && html`<h3>${group.title}</h3>`}
                <${Fields} fields=${group.fields} />
              </div>`)}
            ${section.aggregatesRest && layout.otherAggregates.length > 0 && html`
              <div class="group"><h3>Other aggregates</h3><${Fields} fields=${layout.otherAggregates} /></div>`}
          </div>
        </${Section}>`)}
      <${Section} id="traits" title="Other traits"><${Fields} fields=${layout.otherTraits} /></${Section}>
      ${layout.otherTop.length > 0 && html`
        <${Section} id="other" title="Other fields"><${Fields} fields=${layout.otherTop} /></${Section}>`}
      <${SourceRecords} profile=${profile} />
      <${ConsentHistory} id=${profile.customer360_id} reloadKey=${reloadKey} />
    </div>
    <${Timeline} id=${profile.customer360_id} reloadKey=${reloadKey} />
    <${Why} id=${profile.customer360_id} session=${session} reloadKey=${reloadKey} onChanged=${onChanged} />`;
}

export function Profile({ id, session }) {
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);
  const heading = useRef(null);
  const { data, error, loading, reload } = useLoad(async (signal) => {
    const answer = await loadProfile(id, includeDeleted, signal);
    if (answer.profile.customer360_id !== id) {
      // A merged-away ID: show its survivor under the survivor's own ID.
      handoff = answer;
      replaceRoute(hrefs.profile(answer.profile.customer360_id));
    }
    return answer;
  }, [id, includeDeleted]);
  useFocusHeading(heading, data ? 'loaded' : 'loading');

  const onChanged = () => {
    reload();
    setReloadKey((k) => k + 1);
  };

  if (error) {
    return html`
      <section aria-labelledby="profile-title">
        <h1 id="profile-title" ref=${heading} tabindex="-1">Customer profile</h1>
        <p class="muted">ID <span class="id">${id}</span></p>
        <${ErrorNote} error=${error} />
        ${error.status === 404 && !includeDeleted && html`
          <button type="button" onClick=${() => setIncludeDeleted(true)}>Look for a deleted profile with this ID</button>`}
        <p><a href=${hrefs.search}>Back to search</a></p>
      </section>`;
  }
  if (!data) return html`<${Loading} label="Loading the profile…" />`;
  const { profile, askedFor } = data;
  return html`
    <article class="profile" aria-labelledby="profile-title" aria-busy=${loading ? 'true' : 'false'}>
      <div class="page-head">
        <h1 id="profile-title" ref=${heading} tabindex="-1">${displayName(profile)}</h1>
        <p class="muted">Customer 360 ID <span class="id" data-testid="profile-id">${profile.customer360_id}</span></p>
        ${askedFor !== profile.customer360_id && html`
          <p class="notice" role="status" data-testid="profile-survivor-note">
            The ID <span class="id">${askedFor}</span> was merged into this profile; this is its survivor.</p>`}
        ${profile.deleted_at && html`
          <p class="notice warn" role="status">This profile was soft-deleted on ${formatTime(profile.deleted_at)}.</p>`}
      </div>
      <${ProfileBody} profile=${profile} onChanged=${onChanged} session=${session} reloadKey=${reloadKey} />
    </article>`;
}
