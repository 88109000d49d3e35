// Behaviour that would otherwise be inline handlers, which the Content-Security-Policy forbids.
// Everything here is local: no library, no request to another host.

// A search box over a long list (parties, zones, enterprises): typing narrows the list by
// name; chosen entries stay visible and are listed under it, so no Ctrl-click is needed.
function enhanceChooser(select) {
  const search = document.createElement("input");
  search.type = "search";
  search.className = "chooser-search";
  search.placeholder = "输入名称查找";
  search.setAttribute("aria-label", "查找：" + (select.labels[0]?.textContent || "选项"));
  select.before(search);
  const chosen = document.createElement("p");
  chosen.className = "chooser-chosen meta";
  chosen.setAttribute("aria-live", "polite");
  select.after(chosen);

  const showChosen = () => {
    if (!select.multiple) return;
    const names = [...select.selectedOptions].map((o) => o.textContent);
    chosen.textContent = names.length ? `已选 ${names.length} 项：${names.join("、")}` : "尚未选择";
  };
  if (select.dataset.remote) {
    // Too many to list (enterprises): ask the server for the names that match, 20 at most.
    let timer = null;
    search.placeholder = "输入企业名称（至少两个字）查找";
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const query = search.value.trim();
        select.replaceChildren();
        if (query.length < 2) return;
        const response = await fetch(`${select.dataset.remote}?q=${encodeURIComponent(query)}`, {
          credentials: "same-origin",
        });
        if (!response.ok) return;
        const { results } = await response.json();
        for (const { value, label } of results) select.add(new Option(label, value));
        if (!results.length) select.add(new Option("没有找到匹配的企业", ""));
      }, 250);
    });
  } else search.addEventListener("input", () => {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    for (const option of select.options) {
      const text = option.textContent.toLowerCase();
      option.hidden = !option.selected && !words.every((w) => text.includes(w));
    }
  });
  if (select.multiple) {
    // A click toggles one entry instead of replacing the whole choice.
    select.addEventListener("mousedown", (event) => {
      const option = event.target.closest("option");
      if (!option) return;
      event.preventDefault();
      option.selected = !option.selected;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      select.focus();
    });
  }
  select.addEventListener("change", () => {
    const target = select.dataset.appendLine && document.getElementById(select.dataset.appendLine);
    if (target && select.value) {
      const text = target.value.replace(/\s+$/, "");
      target.value = (text ? text + "\n" : "") + select.value + " ";
      target.focus();
      target.setSelectionRange(target.value.length, target.value.length);
      select.selectedIndex = -1;
    }
    showChosen();
  });
  showChosen();
}

// The user menu and the grouped top menu open on click as well as on hover (touch screens).
function enhanceMenus() {
  for (const button of document.querySelectorAll("[data-menu-toggle]")) {
    button.addEventListener("click", () => {
      const open = button.getAttribute("aria-expanded") !== "true";
      for (const other of document.querySelectorAll("[data-menu-toggle][aria-expanded='true']")) {
        if (other !== button) other.setAttribute("aria-expanded", "false");
      }
      button.setAttribute("aria-expanded", String(open));
    });
  }
  document.addEventListener("click", (event) => {
    if (event.target.closest(".menu")) return;
    for (const button of document.querySelectorAll("[data-menu-toggle][aria-expanded='true']")) {
      button.setAttribute("aria-expanded", "false");
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const button of document.querySelectorAll("button.print-button")) {
    button.addEventListener("click", () => window.print());
  }
  for (const select of document.querySelectorAll("select[data-chooser]")) {
    enhanceChooser(select);
  }
  enhanceMenus();
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
