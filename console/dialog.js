// A confirmation dialog on <dialog>: modal, Escape cancels, focus goes to Cancel when it
// opens and back to the control that opened it when it closes.
import { useEffect, useRef } from 'preact/hooks';
import { html } from './html.js';

/**
 * Open while `open` is true. `onConfirm` and `onCancel` are called by its buttons (and Escape).
 * `children` go between the message and the buttons (e.g. an optional reason field).
 */
export function ConfirmDialog({ open, title, message, okLabel = 'Confirm', busy = false, onConfirm, onCancel, children }) {
  const dialog = useRef(null);
  const cancelButton = useRef(null);
  const opener = useRef(null);

  useEffect(() => {
    const el = dialog.current;
    if (!el) return;
    if (open && !el.open) {
      opener.current = document.activeElement;
      el.showModal();
      cancelButton.current?.focus();
    } else if (!open && el.open) {
      el.close();
    }
    if (!open && opener.current) {
      const back = opener.current;
      opener.current = null;
      if (back.isConnected) back.focus();
    }
  }, [open]);

  const cancel = (event) => {
    event.preventDefault();
    if (!busy) onCancel();
  };
  const submit = (event) => {
    event.preventDefault();
    if (!busy) onConfirm();
  };

  return html`
    <dialog ref=${dialog} class="dialog" data-testid="confirm-dialog" aria-labelledby="confirm-title"
      aria-describedby="confirm-message" onCancel=${cancel}>
      <form method="dialog" onSubmit=${submit}>
        <h2 id="confirm-title">${title}</h2>
        <p id="confirm-message">${message}</p>
        ${children}
        <div class="actions">
          <button type="button" ref=${cancelButton} onClick=${cancel} disabled=${busy}>Cancel</button>
          <button type="submit" class="danger" data-testid="confirm-ok" disabled=${busy}>
            ${busy ? 'Working…' : okLabel}
          </button>
        </div>
      </form>
    </dialog>`;
}
