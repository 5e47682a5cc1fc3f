// The upload page: send the photo with a progress bar, retry on a poor connection (the
// same photo is the same record, so a retry never duplicates), then follow the photo
// until it is read and show what was read, or why to retake it. A refusal is shown as an
// error (role="alert"), never under a full progress bar; "No, something differs" sends the
// numbers the uploader says the sheet shows to the reviewers.
"use strict";

(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("photo");
  const preview = document.getElementById("preview");
  const cameraLabel = document.getElementById("camera-label");
  const send = document.getElementById("send");
  const box = document.getElementById("progress-box");
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  const result = document.getElementById("result");
  const failure = document.getElementById("upload-error");
  let current = null; // the photo shown: its digest and read-back
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const RAW = ["image/jpeg", "image/png", "image/heic", "image/heif", "application/pdf"];
  const RETRIES = 6;
  const POLL_MS = 1000;
  const POLL_LIMIT_MS = 120000;

  function say(message) {
    failure.hidden = true;
    box.hidden = false;
    text.textContent = message;
  }

  function capital(message) {
    return message.charAt(0).toUpperCase() + message.slice(1);
  }

  function show(id, on) {
    document.getElementById(id).hidden = !on;
  }

  function fill(id, items) {
    const list = document.getElementById(id);
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item;
      list.appendChild(li);
    }
  }

  preview.addEventListener("error", function () { preview.hidden = true; }); // not an image

  input.addEventListener("change", function () {
    const file = input.files[0];
    if (!file) return;
    cameraLabel.textContent = "Photo ready: " + file.name + " (" + (file.size / 1e6).toFixed(1) + " MB)";
    if (file.type.startsWith("image/") && file.type !== "image/heic") {
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
    }
    result.hidden = true;
    send.focus();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const file = input.files[0];
    if (!file) {
      say("Take or choose a photo first.");
      return;
    }
    send.disabled = true;
    upload(file, 1);
  });

  function upload(file, attempt) {
    const xhr = new XMLHttpRequest();
    const params = new URLSearchParams({ name: file.name });
    const precinct = document.getElementById("precinct").value.trim();
    if (precinct) params.set("precinct", precinct);
    xhr.open("POST", "/api/photos?" + params.toString());
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((100 * e.loaded) / e.total);
        say("Sending… " + bar.value + "%");
      }
    };
    xhr.onload = function () {
      let answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = {}; }
      if (xhr.status === 202) {
        bar.value = 100;
        const received = answer.status === "duplicate" ? "This photo was already received. Reading it…" : "Received. Reading the sheet…";
        say(answer.precinct_note ? received + " " + capital(answer.precinct_note) + "." : received);
        follow(answer.sha256, Date.now());
      } else if (xhr.status === 401) {
        refused("Your sign-in has ended: sign in again, then send the photo.");
      } else if (xhr.status >= 500 || xhr.status === 408 || xhr.status === 429) {
        retry(file, attempt, "The server is busy");
      } else {
        refused(answer.error || "The photo was refused.");
      }
    };
    xhr.onerror = function () { retry(file, attempt, "The connection dropped"); };
    xhr.ontimeout = xhr.onerror;
    bar.value = 0;
    say(attempt > 1 ? "Sending again (try " + attempt + " of " + RETRIES + ")…" : "Sending…");
    if (RAW.includes(file.type)) {
      xhr.setRequestHeader("Content-Type", file.type);
      xhr.send(file);
    } else {
      const data = new FormData();
      data.append("photo", file, file.name);
      xhr.send(data);
    }
  }

  function retry(file, attempt, why) {
    if (attempt >= RETRIES) {
      say(why + ". The photo was not sent: check the connection and press Send again.");
      send.disabled = false;
      return;
    }
    const wait = Math.min(16, 2 ** (attempt - 1));
    say(why + ": trying again in " + wait + " s (nothing is lost or sent twice).");
    setTimeout(function () { upload(file, attempt + 1); }, wait * 1000);
  }

  function refused(message) {
    box.hidden = true;
    bar.value = 0;
    document.getElementById("upload-error-text").textContent = capital(message);
    failure.hidden = false;
    send.disabled = false;
  }

  function follow(sha, started) {
    fetch("/api/photos/" + sha, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
      .then(function ([status, body]) {
        if (status === 200 && body.status !== "queued") {
          render(body);
        } else if (Date.now() - started > POLL_LIMIT_MS) {
          say("Your photo is stored safely; reading is taking longer than usual. You may close this page.");
          send.disabled = false;
        } else {
          setTimeout(function () { follow(sha, started); }, POLL_MS);
        }
      })
      .catch(function () { setTimeout(function () { follow(sha, started); }, POLL_MS * 2); });
  }

  function render(answer) {
    const back = answer.read_back || { title: "This photo cannot be read", lines: [], needs_person: [] };
    current = { sha: answer.sha256, back: back };
    box.hidden = true;
    result.hidden = false;
    document.getElementById("result-title").textContent = back.title;
    const note = document.getElementById("result-precinct");
    note.textContent = back.precinct_note || "";
    note.hidden = !back.precinct_note;
    document.getElementById("result-status").textContent = back.retake ? "" : "This is what was read:";
    fill("result-lines", back.lines || []);
    fill("result-unsure-list", back.needs_person || []);
    show("result-unsure", (back.needs_person || []).length > 0);
    document.getElementById("result-retake-text").textContent = back.retake || "";
    show("result-retake", Boolean(back.retake));
    show("result-question", !back.retake);
    show("answer-no", (back.choices || []).length > 0); // offered only where the server takes it
    show("differs-form", false);
    show("result-after", false);
    document.getElementById("another").textContent = back.retake ? "Retake the photo" : "Send another photo";
    form.hidden = true;
    document.getElementById("intro").hidden = true;
    result.scrollIntoView({ behavior: "smooth", block: "start" });
    (back.retake ? document.getElementById("another") : document.getElementById("answer-yes")).focus();
  }

  function after(message) {
    const p = document.getElementById("result-after");
    p.textContent = message;
    p.hidden = false;
    show("result-question", false);
  }

  document.getElementById("answer-yes").addEventListener("click", function () {
    after("Thank you: nothing more to do. Reviewers compare the sheet with the reported numbers.");
  });
  const differs = document.getElementById("differs-form");
  const rows = document.getElementById("differs-rows");
  const differsError = document.getElementById("differs-error");

  function addRow() {
    const row = document.getElementById("differs-row").content.firstElementChild.cloneNode(true);
    const n = rows.children.length + 1;
    const select = row.querySelector("select");
    const value = row.querySelector("input");
    select.id = "differs-field-" + n;
    value.id = "differs-value-" + n;
    row.querySelectorAll("label")[0].htmlFor = select.id;
    row.querySelectorAll("label")[1].htmlFor = value.id;
    for (const choice of current.back.choices || []) {
      const option = document.createElement("option");
      option.value = choice.key;
      option.textContent = choice.label + " (read: " + choice.read + ")";
      select.appendChild(option);
    }
    rows.appendChild(row);
    select.focus();
  }

  document.getElementById("answer-no").addEventListener("click", function () {
    show("result-question", false);
    rows.replaceChildren();
    differsError.hidden = true;
    differs.hidden = false;
    addRow();
  });
  document.getElementById("differs-add").addEventListener("click", addRow);
  differs.addEventListener("submit", function (event) {
    event.preventDefault();
    differsError.hidden = true;
    const fields = {};
    for (const row of rows.children) {
      const typed = row.querySelector("input").value.trim();
      if (!/^[0-9]{1,9}$/.test(typed)) {
        differsError.textContent = "Type the number the sheet shows, digits only (a blank box is 0).";
        differsError.hidden = false;
        row.querySelector("input").focus();
        return;
      }
      fields[row.querySelector("select").value] = Number(typed);
    }
    const sending = document.getElementById("differs-send");
    sending.disabled = true;
    fetch("/api/photos/" + current.sha + "/differs", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ fields: fields }),
    })
      .then(function (r) { return r.json().then(function (body) { return [r.status, body]; }); })
      .then(function ([status, body]) {
        sending.disabled = false;
        if (status === 200 || status === 201) {
          differs.hidden = true;
          after("Sent to the reviewers: they compare what you typed with the photo before any number changes. If the photo itself is poor, take it again.");
        } else {
          differsError.textContent = capital(body.error || "It was not sent.");
          differsError.hidden = false;
        }
      })
      .catch(function () {
        sending.disabled = false;
        differsError.textContent = "The connection dropped: press Send again (it is not sent twice).";
        differsError.hidden = false;
      });
  });
  document.getElementById("another").addEventListener("click", function () {
    form.reset();
    preview.hidden = true;
    cameraLabel.textContent = "Take a photo of the sheet";
    result.hidden = true;
    box.hidden = true;
    failure.hidden = true;
    form.hidden = false;
    document.getElementById("intro").hidden = false;
    send.disabled = false;
    input.click();
  });
})();
