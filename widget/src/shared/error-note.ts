/** The one way an error is shown in the pool's elements and the manager page: a note in the danger colour with its
 * message and a button that dismisses it. */

import { css, html, type TemplateResult } from "lit";

export const errorNoteStyles = css`
  .error-note {
    display: flex; gap: 8px; align-items: flex-start; margin: 4px 6px; padding: 6px 8px; border-radius: 6px;
    font: 12px system-ui, sans-serif; color: #fff; background: var(--image-pool-danger, var(--error-text, #c62f3a));
  }
  .error-note p { margin: 0; flex: 1; overflow-wrap: anywhere; }
  .error-note button { font: inherit; color: inherit; background: none; border: 1px solid currentColor;
    border-radius: 4px; cursor: pointer; padding: 0 6px; }
`;

export function errorNote(message: string, dismiss: () => void, part = "error"): TemplateResult {
  return html`
    <div class="error-note" part=${part} role="alert">
      <p>${message}</p>
      <button part="error-dismiss" @click=${dismiss} aria-label="Dismiss: ${message}">OK</button>
    </div>`;
}
