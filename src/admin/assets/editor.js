// Communiqué back office: small enhancements on top of pages that work without JavaScript.
// No dependencies, no build step, CSP-safe (no inline handlers, no eval).
(() => {
  const CONFIRM_DELETE = 'Delete this for good? This cannot be undone.';
  const form = document.getElementById('statement-form');
  const textarea = document.getElementById('field-body');

  // Any <button class="danger"> in a form asks before submitting. A click also fires for
  // keyboard activation and implicit submission, so cancelling it cancels the submission.
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const button = target?.closest('button.danger');
    if (button?.form && !window.confirm(button.dataset.confirm || CONFIRM_DELETE)) {
      event.preventDefault();
    }
  });

  // Media hook: [data-insert-markdown] inserts its text at the cursor in the body field.
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const trigger = target?.closest('[data-insert-markdown]');
    if (!trigger || !(textarea instanceof HTMLTextAreaElement) || textarea.matches(':disabled'))
      return;
    event.preventDefault();
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.setRangeText(trigger.getAttribute('data-insert-markdown') ?? '', start, end, 'end');
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    textarea.focus();
  });

  if (!(form instanceof HTMLFormElement)) return;

  // Live preview of the Markdown body, rendered and sanitised by the server.
  const preview = document.getElementById('preview');
  const previewBody = document.getElementById('preview-body');
  const language = document.getElementById('field-language');
  if (textarea instanceof HTMLTextAreaElement && preview && previewBody) {
    const csrf = form.querySelector('input[name="_csrf"]');
    let timer = 0;
    let latest = 0;
    let controller = null;

    const failure = (status) =>
      status === 401
        ? 'Preview unavailable: please sign in again.'
        : status === 403
          ? 'Preview unavailable: reload the page and try again.'
          : status === 413
            ? 'The text is too long to preview.'
            : 'The preview could not be loaded. Use the Preview button instead.';

    const render = async () => {
      const request = ++latest;
      controller?.abort();
      if (textarea.value.trim() === '') {
        previewBody.replaceChildren();
        preview.dataset.empty = 'true';
        return;
      }
      controller = new AbortController();
      previewBody.setAttribute('aria-busy', 'true');
      try {
        const response = await fetch('/admin/preview', {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-csrf-token': csrf instanceof HTMLInputElement ? csrf.value : '',
          },
          body: new URLSearchParams({ body: textarea.value }),
          signal: controller.signal,
        });
        const html = response.ok ? await response.text() : null;
        if (request !== latest) return;
        if (html === null) previewBody.textContent = failure(response.status);
        else previewBody.innerHTML = html;
      } catch (error) {
        if (request !== latest || error?.name === 'AbortError') return;
        previewBody.textContent = failure(0);
      } finally {
        if (request === latest) previewBody.removeAttribute('aria-busy');
      }
      if (request === latest) preview.dataset.empty = 'false';
    };

    textarea.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => void render(), 400);
    });
    // Show the preview of an existing text straight away (side by side on wide screens).
    if (preview.dataset.empty === 'true' && textarea.value.trim() !== '') void render();
  }
  if (language instanceof HTMLSelectElement && previewBody) {
    language.addEventListener('change', () => {
      previewBody.lang = language.value;
    });
  }

  // Unsaved changes: warn before leaving if the form differs from what the page loaded with,
  // or if the page itself shows input the server did not save (errors, conflict, preview).
  const snapshot = () => new URLSearchParams(new FormData(form)).toString();
  const loaded = snapshot();
  const unsavedOnLoad =
    document.querySelector('main > .error') !== null || preview?.dataset.empty === 'false';
  let submitting = false;
  form.addEventListener('submit', () => {
    submitting = true;
  });
  window.addEventListener('pageshow', () => {
    submitting = false;
  });
  window.addEventListener('beforeunload', (event) => {
    if (submitting || (!unsavedOnLoad && snapshot() === loaded)) return;
    event.preventDefault();
    event.returnValue = '';
  });
})();
