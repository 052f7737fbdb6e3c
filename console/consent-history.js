// Every version of a profile's consent, per scope (channels and the tenant's other scopes):
// GET /v1/profiles/<id>/consent, newest version first within each scope.
import { html } from './html.js';
import { get, seg } from './api.js';
import { ErrorNote, Loading, useLoad } from './ui.js';
import { formatTime } from './format.js';

function byScope(records) {
  const out = new Map();
  for (const r of Array.isArray(records) ? records : []) {
    if (!out.has(r.scope)) out.set(r.scope, []);
    out.get(r.scope).push(r);
  }
  for (const list of out.values()) list.sort((a, b) => (b.version ?? 0) - (a.version ?? 0));
  return [...out].sort(([a], [b]) => (a < b ? -1 : 1));
}

export function ConsentHistory({ id, reloadKey }) {
  const { data, error } = useLoad((signal) => get(`/v1/profiles/${seg(id)}/consent`, { signal }), [id, reloadKey]);
  return html`
    <section class="card wide" aria-labelledby="sec-consent-history" data-testid="consent-history">
      <h2 id="sec-consent-history">Consent versions</h2>
      ${error ? html`<${ErrorNote} error=${error} />` : !data ? html`<${Loading} label="Loading consent…" />` : byScope(data.records).length === 0
        ? html`<p class="muted">No consent recorded.</p>`
        : byScope(data.records).map(([scope, versions]) => html`
            <div class="group" key=${scope}>
              <h3>${scope}</h3>
              <ol class="plain">
                ${versions.map((v) => html`
                  <li key=${v.version} data-testid="consent-version">
                    <span class="label-inline">v${v.version}</span> ${v.status}${v.policy_version ? ` · policy ${v.policy_version}` : ''}
                    · ${formatTime(v.occurred_at)} · ${v.source}</li>`)}
              </ol>
            </div>`)}
    </section>`;
}
