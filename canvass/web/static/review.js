// Keyboard for reviewers. Queue: N takes the next item. Item: 1-9 choose a decision,
// digits go into "The paper shows", Enter decides, Esc goes back to the queue.
"use strict";

(function () {
  function typing(target) {
    return target && (target.tagName === "INPUT" && target.type !== "radio" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
  }

  const next = document.getElementById("next-form");
  const decide = document.getElementById("decide-form");
  const back = document.getElementById("back");

  if (next) {
    document.addEventListener("keydown", function (e) {
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "n" || e.key === "N") {
        e.preventDefault();
        next.requestSubmit();
      }
    });
  }

  if (!decide) {
    if (back) {
      document.addEventListener("keydown", function (e) {
        if (e.key === "Escape") window.location.href = back.href;
      });
    }
    return;
  }

  const reason = document.getElementById("reason");
  const value = document.getElementById("value");
  const button = document.getElementById("decide");
  let reasonEdited = false;
  reason.addEventListener("input", function () { reasonEdited = true; });

  // "The paper shows" belongs to "The paper says" only: disabled (so not sent) otherwise.
  function choose(radio) {
    radio.checked = true;
    if (!reasonEdited) reason.value = radio.dataset.reason;
    if (value) value.disabled = !radio.dataset.needsValue;
    if (radio.dataset.needsValue && value) {
      value.focus();
      value.select();
    } else {
      button.focus();
    }
  }

  for (const radio of decide.querySelectorAll("input[name=action]")) {
    radio.addEventListener("change", function () { choose(radio); });
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      if (typing(e.target)) {
        e.target.blur();
      } else if (back) {
        window.location.href = back.href;
      }
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const radio = decide.querySelector("input[name=action][data-key='" + e.key + "']");
    if (radio) {
      e.preventDefault();
      choose(radio);
    } else if (e.key === "Enter" && e.target === document.body) {
      e.preventDefault();
      decide.requestSubmit();
    }
  });

  const first = decide.querySelector("input[name=action]:checked");
  if (first) choose(first);
})();
