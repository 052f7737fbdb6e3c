// Find a customer: one box, answered as you type (POST /v1/profiles/search), results as links
// to profiles. The text typed stays in memory only: never in the URL or in storage.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { isAbort, post } from './api.js';
import { hrefs, navigate } from './router.js';
import { ErrorNote, useFocusHeading } from './ui.js';
import { displayName, plural } from './format.js';

const DEBOUNCE_MS = 200;
const MATCHED = {
  email: 'email',
  phone: 'phone',
  auth_user_id: 'user ID',
  source_record_id: 'source ID',
  anonymous_id: 'anonymous ID',
  name: 'name',
};

// The last search of this tab, so going back from a profile shows the same results.
let remembered = { q: '', results: null };

function sourceIdsText(sourceIds) {
  if (!sourceIds || typeof sourceIds !== 'object') return '';
  return Object.entries(sourceIds)
    .filter(([, ids]) => Array.isArray(ids) && ids.length)
    .map(([source, ids]) => `${source}: ${ids.join(', ')}`)
    .join(' · ');
}

function Result({ profile, index, onKey }) {
  const id = profile.customer360_id;
  const contact = [profile.primary_email, profile.primary_phone, profile.auth_user_id && `user ${profile.auth_user_id}`]
    .filter(Boolean).join(' · ');
  const sources = sourceIdsText(profile.source_ids);
  return html`
    <li>
      <a class="result" href=${hrefs.profile(id)} data-testid="search-result" data-index=${index}
        onKeyDown=${(e) => onKey(e, index)}>
        <span class="result-name">${displayName(profile)}</span>
        ${profile.matched && html`<span class="badge">matched on ${MATCHED[profile.matched] || profile.matched}</span>`}
        ${contact && html`<span class="result-line">${contact}</span>`}
        ${sources && html`<span class="result-line muted">${sources}</span>`}
      </a>
    </li>`;
}

export function Search() {
  const [q, setQ] = useState(remembered.q);
  const [results, setResults] = useState(remembered.results);
  const [answeredQ, setAnsweredQ] = useState(remembered.results ? remembered.q : null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  const input = useRef(null);
  const list = useRef(null);
  const latest = useRef(0);

  useFocusHeading(heading, 'search');
  useEffect(() => {
    if (document.activeElement === heading.current || document.activeElement === document.body) input.current?.focus();
  }, []);

  useEffect(() => {
    const text = q.trim();
    const call = ++latest.current;
    if (!text) {
      setResults(null);
      setAnsweredQ(null);
      setError(null);
      setBusy(false);
      remembered = { q, results: null };
      return undefined;
    }
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      setBusy(true);
      try {
        const answer = await post('/v1/profiles/search', { q: text, limit: 20 }, { signal: controller.signal });
        if (call !== latest.current) return;
        const profiles = Array.isArray(answer?.profiles) ? answer.profiles : [];
        setResults(profiles);
        setAnsweredQ(q);
        setError(null);
        remembered = { q, results: profiles };
      } catch (err) {
        if (isAbort(err) || call !== latest.current) return;
        setError(err);
        setResults(null);
      } finally {
        if (call === latest.current) setBusy(false);
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q]);

  const links = () => Array.from(list.current?.querySelectorAll('[data-testid="search-result"]') || []);
  const focusResult = (i) => {
    const all = links();
    if (i < 0) input.current?.focus();
    else all[Math.min(i, all.length - 1)]?.focus();
  };

  const onInputKey = (e) => {
    if (e.key === 'ArrowDown' && results?.length) {
      e.preventDefault();
      focusResult(0);
    } else if (e.key === 'Enter' && results?.length && answeredQ === q) {
      e.preventDefault();
      navigate(hrefs.profile(results[0].customer360_id));
    }
  };
  const onResultKey = (e, i) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); focusResult(i + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); focusResult(i - 1); }
    else if (e.key === 'Home') { e.preventDefault(); focusResult(0); }
    else if (e.key === 'End') { e.preventDefault(); focusResult(links().length - 1); }
    else if (e.key === 'Escape') { e.preventDefault(); focusResult(-1); }
  };

  const text = q.trim();
  let status = '';
  if (!text) status = '';
  else if (busy && !results) status = 'Searching…';
  else if (results && results.length === 0) status = 'No customer found';
  else if (results) status = `${plural(results.length, 'customer')} found${results.length === 20 ? ' (the first 20)' : ''}`;

  return html`
    <section class="search" aria-labelledby="search-title">
      <h1 id="search-title" ref=${heading} tabindex="-1">Find a customer</h1>
      <form role="search" onSubmit=${(e) => e.preventDefault()}>
        <div class="field">
          <label for="search-q">Email, phone, user ID, source ID or name</label>
          <input id="search-q" ref=${input} type="search" autocomplete="off" spellcheck="false"
            data-testid="search-input" value=${q} aria-describedby="search-hint search-status"
            onInput=${(e) => setQ(e.currentTarget.value)} onKeyDown=${onInputKey} />
          <p id="search-hint" class="hint">Results appear as you type. Arrow down moves into the results; Enter opens one.</p>
        </div>
      </form>
      <p id="search-status" class="status" aria-live="polite" data-testid="search-status">${status}</p>
      <${ErrorNote} error=${error} />
      ${!text && html`<p class="empty" data-testid="search-empty">Type an email, a phone number, a user ID, a source system's ID or a name to find a customer.</p>`}
      ${text && results && results.length === 0 && html`
        <p class="empty" data-testid="search-none">No customer found. Check the spelling, or try another identifier.</p>`}
      ${text && results && results.length > 0 && html`
        <ul class="results" ref=${list} aria-label="Customers found" aria-busy=${busy ? 'true' : 'false'}>
          ${results.map((p, i) => html`<${Result} key=${p.customer360_id} profile=${p} index=${i} onKey=${onResultKey} />`)}
        </ul>`}
    </section>`;
}
