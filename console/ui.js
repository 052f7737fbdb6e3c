// Small shared pieces: the error alert, the loading line, profile links, and useLoad (an API
// call tied to a component, aborted when it goes away or its inputs change).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { isAbort } from './api.js';
import { hrefs } from './router.js';

/** An alert with an error's message; nothing when there is no error. */
export function ErrorNote({ error, testid }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message || 'something went wrong';
  return html`<p class="alert" role="alert" data-testid=${testid}>${message}</p>`;
}

export function Loading({ label = 'Loading…' }) {
  return html`<p class="muted" role="status">${label}</p>`;
}

export function ProfileLink({ id, children }) {
  if (!id) return '—';
  return html`<a class=${children ? undefined : 'id'} href=${hrefs.profile(id)}>${children || id}</a>`;
}

/**
 * `load(signal)` when `deps` change. Gives {data, error, loading, reload, setData}.
 * A newer call wins: answers of older ones are dropped.
 */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const controller = new AbortController();
    const call = ++latest.current;
    setState((s) => ({ ...s, error: null, loading: true }));
    load(controller.signal).then(
      (data) => call === latest.current && setState({ data, error: null, loading: false }),
      (error) => !isAbort(error) && call === latest.current && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((fn) => setState((s) => ({ ...s, data: typeof fn === 'function' ? fn(s.data) : fn })), []);
  return { ...state, reload, setData };
}

/** Moves focus to the page's h1 (after a route change), so screen readers hear where they are. */
export function useFocusHeading(ref, key) {
  useEffect(() => {
    if (document.activeElement && document.activeElement !== document.body
      && !document.activeElement.closest?.('nav')) return;
    ref.current?.focus({ preventScroll: false });
  }, [key]);
}
