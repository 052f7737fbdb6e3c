// Sign-in: checks an API key with GET /v1/me and hands the session to the app. The key goes
// to sessionStorage only, after the server accepted it.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { get, setKey } from './api.js';

const INGEST_ONLY = 'this key may only send events (role ingest); use a read or admin key';

/** Checks `key`; resolves to the session {tenant_id, role, key_id} or rejects with a message. */
export async function checkKey(key) {
  let me;
  try {
    me = await get('/v1/me', { key });
  } catch (err) {
    if (err.status === 401) throw new Error('the key is not valid');
    if (err.status === 403) throw new Error(INGEST_ONLY);
    throw err;
  }
  if (!me || typeof me !== 'object') throw new Error('the server gave an answer the console cannot read');
  if (me.role === 'ingest') throw new Error(INGEST_ONLY);
  return me;
}

export function SignIn({ onSignedIn, notice }) {
  const [key, setKeyText] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    const value = key.trim();
    if (!value) {
      setError('enter an API key');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await checkKey(value);
      setKey(value);
      setKeyText('');
      onSignedIn(me);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <section class="signin card" aria-labelledby="signin-title">
      <h1 id="signin-title" tabindex="-1">Sign in</h1>
      <p>Use an API key with the role <strong>read</strong> or <strong>admin</strong>.
        The key is kept in this browser tab only, until you sign out or close it.</p>
      ${notice && html`<p class="notice" role="status">${notice}</p>`}
      <form onSubmit=${submit} novalidate>
        <div class="field">
          <label for="signin-key">API key</label>
          <input id="signin-key" type="password" autocomplete="off" spellcheck="false"
            data-testid="signin-key" value=${key} onInput=${(e) => setKeyText(e.currentTarget.value)}
            aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'signin-error' : undefined} />
        </div>
        <div id="signin-error" aria-live="polite">
          ${error && html`<p class="alert" role="alert" data-testid="signin-error">${error}</p>`}
        </div>
        <button type="submit" class="primary" data-testid="signin-submit" disabled=${busy}>
          ${busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </section>`;
}
