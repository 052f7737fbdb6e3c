// The console's root: the session (sign-in and sign-out), the header, the navigation and the
// screen of the current route.
import { render } from 'preact';
import { useCallback, useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { html } from './html.js';
import { clearKey, getKey, setUnauthorizedHandler } from './api.js';
import { hrefs, replaceRoute, useRoute } from './router.js';
import { SignIn, checkKey } from './sign-in.js';
import { Search } from './search.js';
import { Profile } from './profile.js';
import { Review } from './review.js';
import { Segments } from './segments.js';
import { SegmentDetail } from './segment-form.js';
import { Health } from './health.js';
import { NotFound } from './not-found.js';

const NAV = [
  { href: hrefs.search, label: 'Search', names: ['search', 'profile'] },
  { href: hrefs.review, label: 'Review queue', names: ['review'] },
  { href: hrefs.segments, label: 'Segments', names: ['segments', 'segment'] },
  { href: hrefs.health, label: 'Pipeline health', names: ['health'] },
];

const TITLES = {
  search: 'Find a customer',
  profile: 'Customer profile',
  review: 'Review queue',
  segments: 'Segments',
  segment: 'Segment',
  health: 'Pipeline health',
  'not-found': 'Page not found',
};

function Screen({ route, session }) {
  switch (route.name) {
    case 'search': return html`<${Search} />`;
    case 'profile': return html`<${Profile} key=${route.id} id=${route.id} session=${session} />`;
    case 'review': return html`<${Review} />`;
    case 'segments': return html`<${Segments} />`;
    case 'segment': return html`<${SegmentDetail} key=${route.id} id=${route.id} />`;
    case 'health': return html`<${Health} />`;
    default: return html`<${NotFound} />`;
  }
}

/** Keeps one broken screen from blanking the console; logs no values. */
function Guard({ route, children }) {
  const [error, reset] = useErrorBoundary(() => console.error('console: a screen failed to draw'));
  useEffect(() => { if (error) reset(); }, [route]);
  if (!error) return children;
  return html`
    <section aria-labelledby="broken-title">
      <h1 id="broken-title">This screen could not be shown</h1>
      <p class="alert" role="alert">The console could not draw this page from the server's answer.</p>
      <button type="button" onClick=${reset}>Try again</button>
    </section>`;
}

function Header({ session, onSignOut }) {
  return html`
    <header class="top">
      <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content</a>
      <p class="brand">Customer 360 <span>console</span></p>
      ${session && html`
        <div class="session">
          <p data-testid="whoami">
            <span class="visually-hidden">Signed in to tenant </span><strong>${session.tenant_id}</strong>
            <span class="badge" title="role">${session.role}</span>
          </p>
          <button type="button" data-testid="signout" onClick=${onSignOut}>Sign out</button>
        </div>`}
    </header>`;
}

function Nav({ route }) {
  return html`
    <nav aria-label="Main">
      <ul>
        ${NAV.map((item) => html`
          <li key=${item.href}>
            <a href=${item.href} aria-current=${item.names.includes(route.name) ? 'page' : undefined}>${item.label}</a>
          </li>`)}
      </ul>
    </nav>`;
}

function App() {
  const route = useRoute();
  // 'checking' while a stored key is being checked, null when signed out.
  const [session, setSession] = useState(() => (getKey() ? 'checking' : null));
  const [notice, setNotice] = useState(null);

  const signOut = useCallback((message = null) => {
    clearKey();
    setSession(null);
    setNotice(message);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => signOut('Your key is no longer accepted; you were signed out. Sign in again.'));
  }, [signOut]);

  useEffect(() => {
    const key = getKey();
    if (!key) return;
    checkKey(key).then(setSession, (err) => signOut(err.message));
  }, []);

  useEffect(() => {
    if (route.empty) replaceRoute(hrefs.search);
    document.title = `${TITLES[route.name] || 'Console'} · Customer 360`;
  }, [route]);

  const signedIn = session && session !== 'checking';
  const signedInWith = (me) => {
    setNotice(null);
    setSession(me);
  };

  return html`
    <${Header} session=${signedIn ? session : null} onSignOut=${() => signOut('You signed out.')} />
    ${signedIn && html`<${Nav} route=${route} />`}
    <main id="main" tabindex="-1">
      ${session === 'checking' && html`<p class="muted" role="status">Checking your key…</p>`}
      ${session === null && html`<${SignIn} onSignedIn=${signedInWith} notice=${notice} />`}
      ${signedIn && html`<${Guard} route=${route}><${Screen} route=${route} session=${session} /></${Guard}>`}
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
