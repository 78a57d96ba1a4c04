// The secretariat's pages: choosing rows for a bulk decision (a box for the whole page,
// shift-click for a range), saying when a reason is needed, asking before a decision on many
// guests at once, and switching summits.
// Listeners sit on the document, so rows that htmx swaps in work without binding again.
(function () {
  "use strict";

  const NEEDS_REASON = new Set(["reject", "request_info"]);
  let lastClicked = null;

  function rowBoxes(form) {
    return Array.from(form.querySelectorAll('input[type="checkbox"][name="ids"]'));
  }

  function refresh(form) {
    if (!form) return;
    const boxes = rowBoxes(form);
    const chosen = boxes.filter((box) => box.checked).length;
    const all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = chosen > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
    const count = form.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = chosen
        ? count.dataset.some.replace("%(count)s", chosen)
        : count.dataset.none;
    }
    const action = form.querySelector("[data-bulk-action]");
    const reason = form.querySelector("[data-bulk-reason]");
    if (action && reason) {
      const needed = NEEDS_REASON.has(action.value);
      reason.required = needed;
      reason.classList.toggle("is-required", needed && !reason.value.trim());
    }
  }

  document.addEventListener("click", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    const form = box.closest("[data-bulk-form]");
    if (!form) return;
    if (box.matches("[data-select-all]")) {
      rowBoxes(form).forEach((other) => { other.checked = box.checked; });
    } else if (box.name === "ids") {
      const boxes = rowBoxes(form);
      if (event.shiftKey && lastClicked && boxes.includes(lastClicked)) {
        const [from, to] = [boxes.indexOf(lastClicked), boxes.indexOf(box)].sort((a, b) => a - b);
        boxes.slice(from, to + 1).forEach((other) => { other.checked = box.checked; });
      }
      lastClicked = box;
    }
    refresh(form);
  });

  document.addEventListener("input", (event) => {
    refresh(event.target.closest && event.target.closest("[data-bulk-form]"));
  });

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches && target.matches("[data-autosubmit]")) {
      target.form.submit();
      return;
    }
    refresh(target.closest && target.closest("[data-bulk-form]"));
  });

  // A bulk decision reaches every guest chosen (each is written to): one question first, naming
  // the decision and how many it touches. Nothing chosen goes to the server, which says so.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-bulk-form]")) return;
    const scope = form.querySelector("[data-bulk-scope]");
    const count = scope && scope.checked
      ? Number(scope.dataset.matching)
      : rowBoxes(form).filter((box) => box.checked).length;
    if (!count) return;
    const action = form.querySelector("[data-bulk-action]");
    const decision = action ? action.options[action.selectedIndex].text : "";
    const question = (count === 1 ? form.dataset.confirmOne : form.dataset.confirmMany)
      .replace("%(count)s", count)
      .replace("%(action)s", decision);
    if (!window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", () => {
    lastClicked = null;
    document.querySelectorAll("[data-bulk-form]").forEach(refresh);
  });
  document.querySelectorAll("[data-bulk-form]").forEach(refresh);
})();
