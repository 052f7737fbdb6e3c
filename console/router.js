// Hash routing. Routes carry IDs only (profile UUIDs, segment IDs), never personal data.
import { useEffect, useState } from 'preact/hooks';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEGMENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The route of a hash such as "#/profiles/<uuid>". */
export function parseHash(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const [first, second, ...rest] = parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts.length === 0) return { name: 'search', empty: true };
  if (rest.length) return { name: 'not-found' };
  if (first === 'search' && !second) return { name: 'search' };
  if (first === 'review' && !second) return { name: 'review' };
  if (first === 'health' && !second) return { name: 'health' };
  if (first === 'segments' && !second) return { name: 'segments' };
  if (first === 'segments' && SEGMENT_ID.test(second)) return { name: 'segment', id: second };
  if (first === 'profiles' && second && UUID.test(second)) return { name: 'profile', id: second.toLowerCase() };
  return { name: 'not-found' };
}

export const hrefs = {
  search: '#/search',
  review: '#/review',
  segments: '#/segments',
  health: '#/health',
  profile: (id) => `#/profiles/${encodeURIComponent(id)}`,
  segment: (id) => `#/segments/${encodeURIComponent(id)}`,
};

/** Goes to a hash, adding a history entry. */
export function navigate(hash) {
  if (location.hash === hash) return;
  location.hash = hash;
}

/** Replaces the current hash without a history entry (hashchange is not fired natively). */
export function replaceRoute(hash) {
  if (location.hash === hash) return;
  history.replaceState(history.state, '', hash);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The current route, updated on every hash change. */
export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
