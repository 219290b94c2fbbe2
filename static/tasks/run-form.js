// The run form's live help: export preview, durations in words, tag chips,
// reward formatting, cost estimate, warnings to come, unsaved-changes guard,
// focus on errors. Every value it shows comes from the page or from the
// server's preview view (tasks/preview.py); it derives none itself, so each
// rule lives once, in Python. No inline script: CSP-friendly.
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

  // -- Tags as chips, exactly as the server will save them: the preview's
  // answer lists the tags kept and the ones dropped (tasks/tags.py decides).
  function chip(text, extraClass) {
    const item = document.createElement("li");
    item.className = "badge rounded-pill tag-chip " + extraClass;
    item.textContent = text;
    return item;
  }

  function showTags(tags) {
    form.querySelectorAll("[data-tags-for]").forEach((box) => {
      const list = box.querySelector(".tag-chips");
      list.replaceChildren(
        ...tags.kept.map((tag) => chip(tag, "text-bg-secondary")),
        ...tags.duplicates.map(({ tag }) => {
          const dropped = chip(tag, "tag-chip-dropped");
          dropped.title = "Duplicate: dropped when saved";
          return dropped;
        }),
      );
      const note = box.querySelector(".tag-dropped");
      note.textContent = tags.note;
      note.hidden = !tags.note;
      box.hidden = false;
    });
  }

  // The server rendered the chips for the page as loaded; show them now.
  form.querySelectorAll("[data-tags-for]").forEach((box) => (box.hidden = false));

  // -- Reward: its unit, its value in currency and its tidy form ("0.50",
  // Prolific's whole cents "150") all come from the server's answer. The
  // tidy form replaces what was typed once the user has left the input.
  const rewardInput = form.querySelector("input[data-money]");
  let tidyReward = false;

  function showReward(reward, sentReward) {
    form.querySelectorAll("[data-reward-unit]").forEach((unit) => {
      if (unit.textContent !== reward.unit) unit.textContent = reward.unit;
    });
    form.querySelectorAll("output[data-reward-equivalent]").forEach((output) => {
      if (output.textContent !== reward.equivalent) output.textContent = reward.equivalent;
    });
    // Only an answer about what the input holds now, and only once it is left.
    if (!rewardInput || !tidyReward || document.activeElement === rewardInput) return;
    if (rewardInput.value !== sentReward) return;
    tidyReward = false;
    if (reward.typed !== null && reward.typed !== rewardInput.value) rewardInput.value = reward.typed;
  }

  // -- The cost estimate, rendered by the server from tasks/costs.py.
  function showEstimate(html) {
    const current = document.getElementById("cost-estimate");
    if (!current) return;
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    if (fresh && current.outerHTML !== fresh.outerHTML) current.replaceWith(fresh);
  }

  // -- The launch arguments: the inputs of the chosen blueprint, architect and
  // provider, rendered by the server (tasks/launch_args.py declares them).
  // Replaced only when a choice changes, so typing in them is never disturbed;
  // the server carries over what was typed (tasks/forms.py _carry_over).
  function showArguments(argumentsAnswer) {
    const current = document.getElementById("launch-arguments");
    if (!current || !argumentsAnswer || current.dataset.choices === argumentsAnswer.choices) return;
    const template = document.createElement("template");
    template.innerHTML = argumentsAnswer.html.trim();
    const fresh = template.content.firstElementChild;
    if (!fresh) return;
    if (current.contains(document.activeElement)) return; // the user is typing there
    current.replaceWith(fresh);
  }

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
    const sentReward = rewardInput ? rewardInput.value : "";
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
    showTags(answer.tags);
    showReward(answer.reward, sentReward);
    showEstimate(answer.estimate_html);
    showArguments(answer.arguments);
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
  if (rewardInput) {
    rewardInput.addEventListener("input", () => (tidyReward = false));
    rewardInput.addEventListener("blur", () => {
      tidyReward = true;
      schedulePreview();
    });
  }
  form.dataset.previewState = "pending";
  refreshPreview();
})();
