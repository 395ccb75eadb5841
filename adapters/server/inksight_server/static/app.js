/* The inksight web page: pick, drop, paste or photograph a page; follow its job; show the
 * result (viewer.js); download it in every installed format; ask for the access token
 * when the server wants one.
 *
 * Plain JavaScript modules served by the server itself: no build step, nothing from
 * another site. Written against the HTTP API under /v1 (adapters/server/README.md).
 */

import { ApiError, api, politely, postJob, sleep, token } from "./api.js";
import { setUpViewer, showDocument } from "./viewer.js";

const $ = (id) => document.getElementById(id);
const POLL_FIRST_MS = 300; // then 1.4 times longer each time, up to POLL_MAX_MS
const POLL_MAX_MS = 2000;
const MODES = new Set(["vanilla", "text", "recognize"]);
const FORMAT_LABELS = {
  inkml: "InkML", json: "JSON", svg: "SVG", pdf: "PDF", txt: "Text", gif: "GIF",
  webp: "WebP", apng: "APNG", xopp: "Xournal++", uim: "UIM",
};
const DOWNLOAD_ICON =
  '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 4v11m-5-5 5 5 5-5M5 20h14"/></svg>';
const FORMAT_ORDER = ["inkml", "json", "svg", "pdf", "txt", "xopp", "uim", "gif", "webp", "apng"];

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

// ---------------------------------------------------------------- messages

function showError(err) {
  const box = $("message");
  box.className = "message";
  const text = document.createElement("span");
  text.textContent = err instanceof Error ? err.message : String(err); // as the API says it: it may start with a name
  box.replaceChildren(text);
  if (err instanceof ApiError && (err.status || err.code)) {
    const parts = [];
    if (err.status) parts.push(`HTTP ${err.status}`);
    if (err.code) parts.push(err.code);
    if (err.exitCode !== null && err.exitCode !== undefined) parts.push(`exit code ${err.exitCode}`);
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = parts.join(" · ");
    box.append(code);
  }
  box.hidden = false;
  if (err instanceof ApiError && err.status === 401) openTokenDialog(true);
}

function showInfo(text) {
  const box = $("message");
  box.className = "message info";
  box.textContent = text;
  box.hidden = false;
}

function hideMessage() {
  $("message").hidden = true;
}

/** politely()'s reporter: a countdown while the server is busy. */
const busyNotice = (what) => (err, left) => {
  if (err) showInfo(`${what} waits: ${err.message}. Trying again in ${left} s…`);
  else hideMessage();
};

// ---------------------------------------------------------------- the access token

let afterToken = null; // what to try again once a token is saved

function openTokenDialog(needed) {
  const dialog = $("token-dialog");
  $("token-why").textContent = needed
    ? "This server needs an access token. Enter the one it was started with; it is kept in this browser only."
    : "If this server was started with a token, enter it here. It is kept in this browser only "
      + "and sent with every request.";
  $("token-input").value = token.get();
  if (!dialog.open) dialog.showModal();
  $("token-input").focus();
}

function updateTokenLabel() {
  $("token-label").textContent = token.get() ? "Token set" : "Access token";
}

function setUpTokenDialog() {
  updateTokenLabel();
  const dialog = $("token-dialog");
  $("token-button").addEventListener("click", () => openTokenDialog(false));
  $("token-cancel").addEventListener("click", () => dialog.close());
  $("token-forget").addEventListener("click", () => {
    token.set("");
    updateTokenLabel();
    dialog.close();
  });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    token.set($("token-input").value.trim());
    updateTokenLabel();
    dialog.close();
    hideMessage();
    const retry = afterToken;
    afterToken = null;
    loadPlugins().then(() => retry && retry());
  });
}

// ---------------------------------------------------------------- plugins

const exporters = new Map(); // name -> its row of /v1/plugins (extensions, media type, description)

/** The plugin rows, whether the API lists them flat or grouped by kind. */
function pluginRows(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.plugins)) return data.plugins;
  const rows = [];
  for (const [group, list] of Object.entries(data || {})) {
    if (Array.isArray(list)) for (const row of list) rows.push({ kind: group.replace(/s$/, ""), ...row });
  }
  return rows;
}

function fillStageSelect(select, rows) {
  const chosen = select.value;
  select.replaceChildren(new Option("auto (best installed)", "auto"));
  const installedFirst = (a, b) => (b.available !== false) - (a.available !== false) || a.name.localeCompare(b.name);
  const sorted = [...rows].sort(installedFirst);
  for (const row of sorted) {
    const installed = row.available !== false;
    const option = new Option(installed ? row.name : `${row.name} (not installed)`, row.name);
    option.disabled = !installed;
    option.dataset.about = !installed && row.install_hint
      ? `${row.description || ""} Install: ${row.install_hint}`
      : row.description || "";
    option.title = option.dataset.about;
    select.add(option);
  }
  if ([...select.options].some((o) => o.value === chosen && !o.disabled)) select.value = chosen;
  describeChoice(select);
}

function describeChoice(select) {
  const option = select.selectedOptions[0];
  $(`${select.id}-about`).textContent = option && option.value !== "auto"
    ? option.dataset.about || ""
    : "The highest-priority installed plugin.";
}

async function loadPlugins() {
  try {
    const rows = pluginRows(await (await api("/v1/plugins")).json());
    fillStageSelect($("detector"), rows.filter((r) => r.kind === "detector"));
    fillStageSelect($("derenderer"), rows.filter((r) => r.kind === "derenderer"));
    exporters.clear();
    for (const row of rows) if (row.kind === "exporter" && row.available !== false) exporters.set(row.name, row);
    const readable = rows
      .filter((r) => (r.kind === "page_source" || r.kind === "reader") && r.available !== false)
      .flatMap((r) => r.extensions || []);
    if (readable.length) $("file-input").accept = ["image/*", "application/pdf", ...new Set(readable)].join(",");
  } catch (err) {
    showError(err);
  }
}

// ---------------------------------------------------------------- conversion

let run = null; // the conversion being followed: {controller, jobId}
let lastFile = null;

function jsonOption(id, label) {
  const text = $(id).value.trim();
  if (!text) return null;
  let value = null;
  try { value = JSON.parse(text); } catch { /* said below */ }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${label} must be a JSON object such as {"key": 1}; fix it under Options`);
  }
  return JSON.stringify(value);
}

/** The upload with the chosen options, as the API's form fields (auto and empty ones left out). */
function buildForm(file) {
  const form = new FormData();
  form.append("file", file, file.name || "upload");
  for (const id of ["detector", "derenderer"]) if ($(id).value && $(id).value !== "auto") form.append(id, $(id).value);
  if (MODES.has($("mode").value)) form.append("mode", $("mode").value);
  const dpi = $("dpi").value.trim();
  if (dpi) form.append("dpi", dpi);
  const options = [
    ["detector_options", "detector-options", "Detector options"],
    ["derenderer_options", "derenderer-options", "Derenderer options"],
    ["export_options", "export-options", "Export options"],
  ];
  for (const [field, id, label] of options) {
    const value = jsonOption(id, label);
    if (value) form.append(field, value);
  }
  return form;
}

function setProgress(text, fraction) {
  $("progress").hidden = false;
  $("status").textContent = text;
  const bar = $("bar");
  if (fraction === null) bar.removeAttribute("value"); // indeterminate
  else bar.value = Math.max(0, Math.min(1, fraction));
}

function describeJob(job) {
  const total = job.pages_total;
  const done = job.pages_done || 0;
  switch (job.state) {
    case "queued":
      return ["Queued: waiting for a worker…", null];
    case "running":
      if (total) return [`Converting page ${Math.min(done + 1, total)} of ${total}…`, done / total];
      return [done ? `Converting… ${plural(done, "page")} done` : "Converting…", null];
    case "done":
      return [`Done: ${plural(job.words || 0, "word")} on ${plural(total || done, "page")}`, 1];
    case "failed":
      return ["Failed", 0];
    case "cancelled":
      return ["Cancelled", 0];
    default:
      return [`${job.state}…`, null];
  }
}

async function convert(file) {
  if (!file) return;
  let form;
  try {
    form = buildForm(file);
  } catch (err) {
    showError(err);
    $("options").open = true;
    return;
  }
  stopRun();
  lastFile = file;
  $("again").disabled = false;
  hideMessage();
  const current = { controller: new AbortController(), jobId: null };
  run = current;
  const { signal } = current.controller;
  const name = file.name || "the photo";
  $("cancel").hidden = false;
  try {
    setProgress(`Uploading ${name}…`, 0);
    let job = await politely(
      () => postJob(form, (f) => setProgress(`Uploading ${name}… ${Math.round(f * 100)}%`, f), signal),
      signal,
      busyNotice("Upload"),
    );
    current.jobId = job.id;
    const jobUrl = `/v1/jobs/${encodeURIComponent(job.id)}`;
    let delay = POLL_FIRST_MS;
    while (!["done", "failed", "cancelled"].includes(job.state)) {
      setProgress(...describeJob(job));
      await sleep(delay, signal);
      delay = Math.min(POLL_MAX_MS, delay * 1.4);
      job = await politely(async () => (await api(jobUrl, { signal })).json(), signal, busyNotice("Progress"));
    }
    setProgress(...describeJob(job));
    if (job.state === "failed") {
      const e = job.error || {};
      throw new ApiError(e.status || 0, e.message || "the conversion failed", e.code || null, e.exit_code ?? null);
    }
    if (job.state === "cancelled") {
      showInfo("The conversion was cancelled.");
      return;
    }
    const fetchInk = () => api(`${jobUrl}/result?format=json`, { signal });
    const response = await politely(fetchInk, signal, busyNotice("Result"));
    const ink = await response.json();
    if (run === current) showResult(job, ink, file);
  } catch (err) {
    if (err.name === "AbortError" || run !== current) return;
    if (err instanceof ApiError && err.status === 401) afterToken = () => convert(file);
    showError(err);
  } finally {
    if (run === current) {
      $("cancel").hidden = true;
      run = null;
    }
  }
}

/** Stop following the current conversion and cancel its job on the server. */
function stopRun() {
  if (!run) return;
  const { controller, jobId } = run;
  run = null;
  controller.abort();
  if (jobId) api(`/v1/jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" }).catch(() => {});
}

const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");

function setUpInputs() {
  for (const id of ["file-input", "camera-input"]) {
    $(id).addEventListener("change", (e) => {
      const file = e.target.files && e.target.files[0];
      e.target.value = ""; // so that picking the same file again converts it again
      convert(file);
    });
  }
  const drop = $("drop");
  let depth = 0; // dragenter/dragleave pairs of nested elements
  window.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    drop.classList.add("over");
  });
  window.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) drop.classList.remove("over");
  });
  window.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  window.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    drop.classList.remove("over");
    convert(e.dataTransfer.files[0]);
  });
  window.addEventListener("paste", (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
    const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.kind === "file");
    if (item) {
      e.preventDefault();
      convert(item.getAsFile());
    }
  });
  $("again").addEventListener("click", () => convert(lastFile));
  $("cancel").addEventListener("click", () => {
    if (!run) return;
    stopRun();
    $("cancel").hidden = true;
    setProgress("Cancelled", 0);
    showInfo("The conversion was cancelled.");
  });
  for (const id of ["detector", "derenderer"]) $(id).addEventListener("change", () => describeChoice($(id)));
}

// ---------------------------------------------------------------- results and downloads

function fileStem(name) {
  const base = (name || "ink").split(/[\\/]/).pop().replace(/\.[^.]+$/, "");
  return base.replace(/[^\p{L}\p{N}._ -]+/gu, "_").slice(0, 120) || "ink";
}

function extensionOf(format) {
  const row = exporters.get(format);
  return (row && row.extensions && row.extensions[0]) || `.${format}`;
}

/** The file name the server suggests (Content-Disposition), else `fallback`. */
function filenameFrom(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (encoded) {
    try { return decodeURIComponent(encoded[1]); } catch { /* use the plain one */ }
  }
  const plain = /filename="?([^";]+)"?/i.exec(header);
  return plain ? plain[1] : fallback;
}

async function download(jobId, stem, format, button) {
  if (button.getAttribute("aria-busy") === "true") return;
  button.setAttribute("aria-busy", "true");
  try {
    const url = `/v1/jobs/${encodeURIComponent(jobId)}/result?format=${encodeURIComponent(format)}`;
    const response = await politely(() => api(url), null, busyNotice("Download"));
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = filenameFrom(response, `${stem}${extensionOf(format)}`);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000); // revoked at once, the download could fail
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) afterToken = () => download(jobId, stem, format, button);
    showError(err);
  } finally {
    button.removeAttribute("aria-busy");
  }
}

function fillDownloads(job, stem) {
  const formats = Array.isArray(job.formats) ? job.formats : [...exporters.keys()]; // those that take its options
  const rank = (f) => (FORMAT_ORDER.includes(f) ? FORMAT_ORDER.indexOf(f) : FORMAT_ORDER.length);
  const buttons = [...formats].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((format) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = format === "inkml" ? "button primary" : "button";
    button.id = `download-${format}`;
    button.dataset.format = format;
    const row = exporters.get(format);
    if (row && row.description) button.title = row.description;
    button.innerHTML = DOWNLOAD_ICON;
    const text = document.createElement("span");
    text.className = "label";
    const label = document.createElement("strong");
    label.textContent = FORMAT_LABELS[format] || format;
    const ext = document.createElement("small");
    ext.textContent = extensionOf(format);
    text.append(label, ext);
    button.append(text);
    button.setAttribute("aria-label", `Download ${label.textContent} (${ext.textContent})`);
    button.addEventListener("click", () => download(job.id, stem, format, button));
    return button;
  });
  $("downloads").replaceChildren(...buttons);
  const expires = job.expires_at ? new Date(job.expires_at) : null;
  const kept = expires && !Number.isNaN(expires.getTime())
    ? `Kept on the server until ${expires.toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}.`
    : "";
  $("expires").textContent = buttons.length ? kept : `No installed exporter takes these export options. ${kept}`;
}

function fillWarnings(job, ink) {
  const warnings = (job.warnings || []).map((w) => (typeof w === "string" ? w : w.message || JSON.stringify(w)));
  for (const problem of (ink.metadata && ink.metadata.problems) || []) {
    if (!warnings.includes(problem)) warnings.push(problem);
  }
  $("warnings").replaceChildren(...warnings.map((w) => {
    const item = document.createElement("li");
    item.textContent = w;
    return item;
  }));
  $("warnings-title").textContent = plural(warnings.length, "warning");
  $("warnings-box").hidden = !warnings.length;
}

function showResult(job, ink, file) {
  const stem = fileStem(file.name);
  $("empty").hidden = true;
  $("result").hidden = false;
  $("result-files").hidden = false;
  $("result").dataset.job = job.id; // which job the view and downloads come from (for scripts and tests)
  $("viewer-title").textContent = file.name || "Your ink";
  fillDownloads(job, stem);
  fillWarnings(job, ink);
  showDocument(job.id, ink);
  if (!window.matchMedia("(min-width: 900px)").matches) { // on a phone the result is below: show it
    $("viewer").scrollIntoView({ behavior: "smooth", block: "start" });
  }
}

// ---------------------------------------------------------------- start

setUpTokenDialog();
setUpInputs();
setUpViewer();
loadPlugins();
