// The run form's live help: export preview, durations in words, tag chips,
// reward formatting, warnings to come, unsaved-changes guard, focus on errors.
// Everything it knows comes from the page (data- attributes) or the server's
// preview view, so the rules stay in Python. No inline script: CSP-friendly.
(function () {
  "use strict";

  const form = document.getElementById("run-form");
  if (!form) return;

  // The required-field star is for eyes; the input's `required` already tells
  // screen readers, which would otherwise read "Task title star".
  form.querySelectorAll(".asteriskField").forEach((star) => star.setAttribute("aria-hidden", "true"));

  // -- Unsaved changes: ask before leaving a form that holds unsaved input.
  // A form sent back with errors holds unsaved input from the start.
  let unsaved = form.hasAttribute("data-unsaved");
  form.addEventListener("input", () => (unsaved = true));
  form.addEventListener("change", () => (unsaved = true));
  form.addEventListener("submit", () => (unsaved = false));
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // -- After a failed submit, start where the first problem is: a field in
  // error, or else a warning still to tick.
  const unreadWarnings = document.getElementById("unread-warnings");
  const firstProblem =
    form.querySelector(".is-invalid") ||
    (unreadWarnings && form.querySelector("input[name=acknowledge]:not(:checked)"));
  if (firstProblem) firstProblem.focus();

  // -- A link to a field in an error list takes the keyboard there, not just the eyes.
  document.addEventListener("click", (event) => {
    const link = event.target.closest(".run-preview a[href^='#'], #form-errors a[href^='#']");
    const field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    field.focus();
  });

  // -- Tags as chips, the way tasks/tags.py will save them: split on commas,
  // collapse spaces, drop blanks and case-insensitive duplicates (first kept).
  function splitTags(text) {
    const kept = [];
    const seen = new Map();
    const duplicates = [];
    let blanks = 0;
    const parts = text.split(",");
    parts.forEach((raw, index) => {
      const tag = raw.split(/\s+/).filter(Boolean).join(" ");
      const key = tag.toLowerCase();
      if (!tag) {
        // The blank after a trailing comma is the tag being typed: not a mistake.
        if (index < parts.length - 1) blanks += 1;
      } else if (seen.has(key)) {
        duplicates.push([tag, seen.get(key)]);
      } else {
        seen.set(key, tag);
        kept.push(tag);
      }
    });
    return { kept, duplicates, blanks };
  }

  function chip(text, extraClass) {
    const item = document.createElement("li");
    item.className = "badge rounded-pill tag-chip " + extraClass;
    item.textContent = text;
    return item;
  }

  function showTags(box) {
    const input = document.getElementById(box.dataset.tagsFor);
    const { kept, duplicates, blanks } = splitTags(input.value);
    const list = box.querySelector(".tag-chips");
    list.replaceChildren(...kept.map((tag) => chip(tag, "text-bg-secondary")));
    for (const [tag] of duplicates) {
      const dropped = chip(tag, "tag-chip-dropped");
      dropped.title = "Duplicate: dropped when saved";
      list.append(dropped);
    }
    const notes = duplicates.map(([tag, first]) => `“${tag}” (same as “${first}”)`);
    if (blanks) notes.push(blanks === 1 ? "1 blank" : `${blanks} blanks`);
    const dropped = box.querySelector(".tag-dropped");
    dropped.textContent = notes.length ? `Dropped when saved: ${notes.join(", ")}.` : "";
    dropped.hidden = !notes.length;
  }

  const tagBoxes = form.querySelectorAll("[data-tags-for]");
  tagBoxes.forEach((box) => {
    showTags(box);
    box.hidden = false;
    document.getElementById(box.dataset.tagsFor).addEventListener("input", () => showTags(box));
  });

  // -- Reward: two decimals once typed, where it is in dollars (Prolific takes
  // whole cents; static/tasks/provider.js keeps the unit beside the input).
  form.querySelectorAll("input[data-money]").forEach((input) => {
    const unit = input.closest(".input-group")?.querySelector("[data-reward-unit]");
    input.addEventListener("blur", () => {
      if (unit && unit.textContent === unit.dataset.cents) return;
      // Only tidy what is already a valid amount: 0.005 stays for the server to explain.
      const match = input.value.trim().match(/^(\d*)(?:\.(\d{0,2}))?$/);
      if (match && (match[1] || match[2])) {
        input.value = `${Number(match[1] || "0")}.${(match[2] || "").padEnd(2, "0")}`;
      }
    });
  });

  // -- Live preview: the server validates the form as posted and answers with
  // the export it would give, so the preview is the download, byte for byte.
  const previewBox = document.getElementById("preview-box");
  const previewCode = document.getElementById("preview-json");
  const previewErrors = document.getElementById("preview-errors");
  const previewWarnings = document.getElementById("preview-warnings");
  const previewStatus = document.getElementById("preview-status");
  const summary = document.getElementById("form-errors");
  const edited = new Set();
  let latest = 0;
  let timer = null;

  // A list of "Label: message" items, each label a link to its field.
  function showList(box, entries) {
    box.querySelector("ul").replaceChildren(
      ...entries.map(({ field, label, message }) => {
        const item = document.createElement("li");
        const target = field !== "__all__" && form.elements[field];
        if (target && target.id) {
          const link = document.createElement("a");
          link.href = `#${target.id}`;
          link.textContent = label;
          item.append(link, `: ${message}`);
        } else {
          item.textContent = message;
        }
        return item;
      }),
    );
    box.hidden = !entries.length;
  }

  function showDurations(durations, errorsByField) {
    form.querySelectorAll("output[data-duration-for]").forEach((output) => {
      const input = document.getElementById(output.dataset.durationFor);
      const error = errorsByField.get(input.name);
      // A message the server already shows beside the field is not repeated.
      const liveError = error && !input.classList.contains("is-invalid") ? error[0] : "";
      const text = durations[input.name] || liveError;
      // The output is a live region: rewriting the same words would have a
      // screen reader say them again after every key pressed anywhere.
      if (output.textContent !== text) output.textContent = text;
      output.classList.toggle("text-danger", !durations[input.name] && Boolean(liveError));
    });
  }

  // A field the user has changed and the server now accepts loses its old error.
  function clearFixedErrors(errorsByField) {
    form.querySelectorAll(".is-invalid").forEach((input) => {
      if (!edited.has(input.name) || errorsByField.has(input.name)) return;
      const errorId = `${input.id}_error`;
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      const describedBy = (input.getAttribute("aria-describedby") || "")
        .split(/\s+/)
        .filter((id) => id && id !== errorId);
      input.setAttribute("aria-describedby", describedBy.join(" "));
      const message = document.getElementById(errorId);
      if (message) message.hidden = true;
      const summaryItem = summary && summary.querySelector(`li[data-field="${input.name}"]`);
      if (summaryItem) summaryItem.hidden = true;
    });
    if (summary && !summary.querySelector("li:not([hidden])")) summary.hidden = true;
  }

  async function refreshPreview() {
    const request = ++latest;
    let answer;
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: new FormData(form), // holds the CSRF token too
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      answer = await response.json();
    } catch (error) {
      if (request === latest) previewStatus.textContent = `The preview is not available (${error.message}).`;
      return;
    }
    if (request !== latest) return; // a newer answer is on its way
    const errorsByField = new Map(answer.errors.map((error) => [error.field, error.messages]));
    showList(
      previewErrors,
      answer.errors.flatMap((error) => error.messages.map((message) => ({ ...error, message }))),
    );
    showList(previewWarnings, answer.warnings);
    showDurations(answer.durations, errorsByField);
    clearFixedErrors(errorsByField);
    previewBox.hidden = answer.config === null;
    if (answer.config !== null) previewCode.textContent = answer.config;
    previewStatus.textContent =
      answer.config === null
        ? "The export appears here once the form is valid."
        : "Exactly what “Export JSON” will download once saved.";
    form.dataset.previewState = "ready";
  }

  function schedulePreview(event) {
    if (event && event.target.name) edited.add(event.target.name);
    form.dataset.previewState = "pending";
    latest += 1; // an answer to an older request is stale now
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 250);
  }

  form.addEventListener("input", schedulePreview);
  form.addEventListener("change", schedulePreview);
  form.dataset.previewState = "pending";
  refreshPreview();
})();
