// "Export CSV" of a segment's members: fetched with the key in the header (never in a URL)
// and handed to the browser as a Blob download.
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { requestBlob, seg } from './api.js';

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function ExportButton({ segmentId, name }) {
  const [state, setState] = useState({ busy: false, message: '', error: false });
  const run = async () => {
    if (state.busy) return;
    setState({ busy: true, message: 'Preparing the export…', error: false });
    try {
      const blob = await requestBlob(`/v1/segments/${seg(segmentId)}/members?format=csv`);
      download(blob, `${segmentId}.csv`);
      setState({ busy: false, message: 'Export downloaded.', error: false });
    } catch (err) {
      setState({ busy: false, message: err.message, error: true });
    }
  };
  return html`
    <span class="export">
      <button type="button" data-testid="segment-export" aria-disabled=${state.busy ? 'true' : undefined} onClick=${run}>
        Export CSV<span class="visually-hidden"> of ${name || segmentId}</span></button>
      <span class=${state.error ? 'alert inline' : 'muted small'} role=${state.error ? 'alert' : undefined}
        aria-live="polite">${state.message}</span>
    </span>`;
}
