// Behaviour that would otherwise be inline handlers, which the Content-Security-Policy forbids.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const button of document.querySelectorAll("button.print-button")) {
    button.addEventListener("click", () => window.print());
  }
});

// Irreversible actions ask first: a form (or its submit button) with data-confirm="question"
// is sent only after the user agrees. Local script, no library: the CSP allows only this file.
document.addEventListener(
  "submit",
  (event) => {
    const source =
      (event.submitter && event.submitter.closest("[data-confirm]")) ||
      event.target.closest("[data-confirm]");
    if (source && !window.confirm(source.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
