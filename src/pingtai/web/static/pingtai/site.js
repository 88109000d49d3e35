// Behaviour that would otherwise be inline handlers, which the Content-Security-Policy forbids.
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const button of document.querySelectorAll("button.print-button")) {
    button.addEventListener("click", () => window.print());
  }
});
