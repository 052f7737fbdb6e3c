// The screen of a hash that names no page.
import { useRef } from 'preact/hooks';
import { html } from './html.js';
import { hrefs } from './router.js';
import { useFocusHeading } from './ui.js';

export function NotFound() {
  const heading = useRef(null);
  useFocusHeading(heading, 'not-found');
  return html`
    <section aria-labelledby="nf-title">
      <h1 id="nf-title" ref=${heading} tabindex="-1">Page not found</h1>
      <p>This address names no page of the console. <a href=${hrefs.search}>Find a customer</a>.</p>
    </section>`;
}
