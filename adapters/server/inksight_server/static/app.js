/* inksight web page: upload a page, follow the job, show and replay its ink, download it.
 *
 * Plain JavaScript served by the server itself (no build step, nothing from another
 * site), written against the HTTP API under /v1 (see adapters/server/README.md).
 * Every request carries the optional bearer token kept in this browser's localStorage;
 * images and downloads are fetched with it too (an <img src> or a plain link could not
 * send it), then shown or saved from blobs.
 *
 * The ink JSON (schemas/ink-document.schema.json) is in page pixels with pixel centres
 * on integers, so a point x is drawn at (x + 0.5) * scale over the page image, exactly
 * like the SVG and replay exporters. The replay runs the page clock (each stroke's t,
 * seconds); ink without a clock is timed like the pipeline's layout.assign_time.
 */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = "inksight.token";
  const INK = "#1a237e"; // the exporters' default ink colour
  const POLL_FIRST_MS = 300;
  const POLL_MAX_MS = 2000;
  const BUSY_TRIES = 12; // 429/503 answers in a row before giving up
  const REPLAY_TARGET_S = 15; // the speed picked first plays a page in about this long
  const MODES = new Set(["vanilla", "text", "recognize"]);
  const FORMAT_LABELS = {
    inkml: "InkML", json: "JSON", svg: "SVG", pdf: "PDF", txt: "Text", gif: "GIF",
    webp: "WebP", apng: "APNG", xopp: "Xournal++", uim: "UIM",
  };
  const FORMAT_ORDER = ["inkml", "json", "svg", "pdf", "txt", "xopp", "uim", "gif", "webp", "apng"];

  // ---------------------------------------------------------------- API access

  /** An error answer of the API, in its JSON form {"error": {status, exit_code, code, message}}. */
  class ApiError extends Error {
    constructor(status, message, code = null, exitCode = null, retryAfter = null) {
      super(message);
      this.status = status;
      this.code = code;
      this.exitCode = exitCode;
      this.retryAfter = retryAfter;
    }
  }

  const token = {
    get: () => { try { return localStorage.getItem(TOKEN_KEY) || ""; } catch { return ""; } },
    set: (value) => {
      try { value ? localStorage.setItem(TOKEN_KEY, value) : localStorage.removeItem(TOKEN_KEY); } catch { /* private mode */ }
    },
  };

  function authHeaders() {
    const value = token.get();
    return value ? { Authorization: `Bearer ${value}` } : {};
  }

  /** Seconds from a Retry-After header (delta-seconds or an HTTP date), or null. */
  function retryAfterSeconds(header) {
    if (!header) return null;
    if (/^\d+$/.test(header.trim())) return Number(header.trim());
    const when = Date.parse(header);
    return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
  }

  function errorFromBody(status, statusText, text, retryAfter) {
    let body = null;
    try { body = JSON.parse(text); } catch { /* not JSON: a proxy's page, say */ }
    const e = body && typeof body === "object" ? body.error : null;
    if (e && typeof e === "object" && e.message) {
      return new ApiError(e.status || status, String(e.message), e.code || null, e.exit_code ?? null, retryAfter);
    }
    if (body && typeof body.detail === "string") return new ApiError(status, body.detail, null, null, retryAfter);
    const what = statusText || (status ? `HTTP ${status}` : "no answer");
    return new ApiError(status, `the server answered ${status} ${what}`.trim(), null, null, retryAfter);
  }

  /** fetch() on the API with the token; resolves to the Response when ok, else throws ApiError. */
  async function api(path, { method = "GET", body = undefined, signal = undefined } = {}) {
    let response;
    try {
      response = await fetch(path, { method, body, signal, headers: authHeaders(), cache: "no-store" });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, "cannot reach the server; check that it is running and the network is up");
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw errorFromBody(response.status, response.statusText, text, retryAfterSeconds(response.headers.get("Retry-After")));
  }

  /** POST /v1/jobs with upload progress (fetch cannot report it). */
  function postJob(form, onProgress, signal) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/jobs");
      for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          try { resolve(JSON.parse(xhr.responseText)); } catch { reject(new ApiError(xhr.status, "the server's answer was not JSON")); }
        } else {
          reject(errorFromBody(xhr.status, xhr.statusText, xhr.responseText, retryAfterSeconds(xhr.getResponseHeader("Retry-After"))));
        }
      };
      xhr.onerror = () => reject(new ApiError(0, "the upload did not reach the server; check the connection and try again"));
      xhr.onabort = () => reject(new DOMException("cancelled", "AbortError"));
      if (signal) signal.addEventListener("abort", () => xhr.abort(), { once: true });
      xhr.send(form);
    });
  }

  function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      if (signal) {
        signal.addEventListener("abort", () => { clearTimeout(timer); reject(new DOMException("cancelled", "AbortError")); }, { once: true });
      }
    });
  }

  /** Run `attempt`, waiting out 429/503 answers as long as their Retry-After says (with a countdown). */
  async function politely(attempt, signal, what) {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (err) {
        const busy = err instanceof ApiError && (err.status === 429 || err.status === 503);
        if (!busy || tries >= BUSY_TRIES) throw err;
        let wait = Math.min(120, Math.max(1, err.retryAfter ?? 2 * tries));
        while (wait > 0) {
          showInfo(`The server is busy (${err.message}). ${what}: trying again in ${wait} s…`);
          await sleep(1000, signal);
          wait -= 1;
        }
        hideMessage();
      }
    }
  }

  // ---------------------------------------------------------------- messages

  function showError(err) {
    const box = $("message");
    box.className = "message";
    box.replaceChildren();
    const text = document.createElement("span");
    text.textContent = err instanceof ApiError || err instanceof Error ? capitalise(err.message) : String(err);
    box.append(text);
    if (err instanceof ApiError && (err.status || err.code)) {
      const code = document.createElement("span");
      code.className = "code";
      const parts = [];
      if (err.status) parts.push(`HTTP ${err.status}`);
      if (err.code) parts.push(err.code);
      if (err.exitCode !== null && err.exitCode !== undefined) parts.push(`exit code ${err.exitCode}`);
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

  function hideMessage() { $("message").hidden = true; }

  const capitalise = (s) => (s ? s[0].toUpperCase() + s.slice(1) : s);

  // ---------------------------------------------------------------- token dialog

  let afterToken = null; // what to retry once a token is saved

  function openTokenDialog(needed) {
    const dialog = $("token-dialog");
    $("token-why").textContent = needed
      ? "This server needs an access token. Enter the one it was started with; it is kept in this browser only."
      : "If this server was started with a token, enter it here. It is kept in this browser only and sent with every request.";
    $("token-input").value = token.get();
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal(); else dialog.setAttribute("open", "");
    }
    $("token-input").focus();
  }

  function closeTokenDialog() {
    const dialog = $("token-dialog");
    if (typeof dialog.close === "function") dialog.close(); else dialog.removeAttribute("open");
  }

  function updateTokenLabel() {
    $("token-label").textContent = token.get() ? "Token set" : "Access token";
  }

  function setUpTokenDialog() {
    updateTokenLabel();
    $("token-button").addEventListener("click", () => openTokenDialog(false));
    $("token-cancel").addEventListener("click", closeTokenDialog);
    $("token-forget").addEventListener("click", () => { token.set(""); updateTokenLabel(); closeTokenDialog(); });
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      token.set($("token-input").value.trim());
      updateTokenLabel();
      closeTokenDialog();
      hideMessage();
      loadPlugins();
      const retry = afterToken;
      afterToken = null;
      if (retry) retry();
    });
  }

  // ---------------------------------------------------------------- plugins

  const exporters = new Map(); // name -> {extensions, media_type, description}

  /** The plugin rows, whether the API lists them flat or grouped by kind. */
  function pluginRows(data) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.plugins)) return data.plugins;
    const rows = [];
    for (const [group, list] of Object.entries(data || {})) {
      if (!Array.isArray(list)) continue;
      const kind = group.replace(/s$/, "");
      for (const row of list) rows.push({ kind, ...row });
    }
    return rows;
  }

  function fillStageSelect(select, rows) {
    const chosen = select.value;
    select.replaceChildren(new Option("auto (best installed)", "auto"));
    const sorted = [...rows].sort((a, b) => (b.available - a.available) || a.name.localeCompare(b.name));
    for (const row of sorted) {
      const option = new Option(row.available === false ? `${row.name} (not installed)` : row.name, row.name);
      option.disabled = row.available === false;
      option.title = row.description || "";
      option.dataset.about = row.available === false && row.install_hint
        ? `${row.description || ""} Install: ${row.install_hint}` : row.description || "";
      select.add(option);
    }
    if ([...select.options].some((o) => o.value === chosen && !o.disabled)) select.value = chosen;
    describeChoice(select);
  }

  function describeChoice(select) {
    const about = $(`${select.id}-about`);
    const option = select.selectedOptions[0];
    about.textContent = option && option.value !== "auto"
      ? option.dataset.about || ""
      : "The highest-priority installed plugin.";
  }

  async function loadPlugins() {
    try {
      const rows = pluginRows(await (await api("/v1/plugins")).json());
      fillStageSelect($("detector"), rows.filter((r) => r.kind === "detector"));
      fillStageSelect($("derenderer"), rows.filter((r) => r.kind === "derenderer"));
      exporters.clear();
      for (const row of rows.filter((r) => r.kind === "exporter" && r.available !== false)) exporters.set(row.name, row);
      const extensions = rows
        .filter((r) => (r.kind === "page_source" || r.kind === "reader") && r.available !== false)
        .flatMap((r) => r.extensions || []);
      if (extensions.length) $("file-input").accept = ["image/*", "application/pdf", ...new Set(extensions)].join(",");
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { afterToken = null; showError(err); return; }
      showError(err);
    }
  }

  // ---------------------------------------------------------------- conversion

  let run = null; // {controller, jobId, file}
  let lastFile = null;

  function readJsonOption(id, label) {
    const text = $(id).value.trim();
    if (!text) return null;
    let value;
    try { value = JSON.parse(text); } catch {
      throw new Error(`${label} must be a JSON object such as {"key": 1}; fix it in Options`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`${label} must be a JSON object such as {"key": 1}; fix it in Options`);
    }
    return JSON.stringify(value);
  }

  function buildForm(file) {
    const form = new FormData();
    form.append("file", file, file.name || "upload");
    for (const id of ["detector", "derenderer"]) {
      if ($(id).value && $(id).value !== "auto") form.append(id, $(id).value);
    }
    if (MODES.has($("mode").value)) form.append("mode", $("mode").value);
    const dpi = $("dpi").value.trim();
    if (dpi) form.append("dpi", dpi);
    const options = [
      ["detector_options", "detector-options", "Detector options"],
      ["derenderer_options", "derenderer-options", "Derenderer options"],
      ["export_options", "export-options", "Export options"],
    ];
    for (const [field, id, label] of options) {
      const value = readJsonOption(id, label);
      if (value) form.append(field, value);
    }
    return form;
  }

  function setProgress(text, fraction) {
    $("progress").hidden = false;
    $("status").textContent = text;
    const bar = $("bar");
    if (fraction === null) bar.removeAttribute("value"); else bar.value = Math.max(0, Math.min(1, fraction));
  }

  function describeJob(job) {
    const total = job.pages_total;
    const done = job.pages_done || 0;
    switch (job.state) {
      case "queued": return ["Queued: waiting for a worker…", null];
      case "running":
        if (total) return [`Converting page ${Math.min(done + 1, total)} of ${total}…`, done / total];
        return [done ? `Converting… ${done} page${done === 1 ? "" : "s"} done` : "Converting…", null];
      case "done": return [`Done: ${plural(job.words || 0, "word")} on ${plural(total || done, "page")}`, 1];
      case "failed": return ["Failed", 0];
      case "cancelled": return ["Cancelled", 0];
      default: return [`${job.state}…`, null];
    }
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  async function convert(file) {
    if (!file) return;
    let form;
    try { form = buildForm(file); } catch (err) { showError(err); $("options").open = true; return; }
    stopRun();
    lastFile = file;
    $("again").disabled = false;
    hideMessage();
    const controller = new AbortController();
    const current = { controller, jobId: null, file };
    run = current;
    $("cancel").hidden = false;
    const { signal } = controller;
    try {
      setProgress(`Uploading ${file.name || "the photo"}…`, 0);
      let job = await politely(
        () => postJob(form, (f) => setProgress(`Uploading ${file.name || "the photo"}… ${Math.round(f * 100)}%`, f), signal),
        signal, "Upload");
      current.jobId = job.id;
      let delay = POLL_FIRST_MS;
      while (!["done", "failed", "cancelled"].includes(job.state)) {
        setProgress(...describeJob(job));
        await sleep(delay, signal);
        delay = Math.min(POLL_MAX_MS, delay * 1.4);
        job = await politely(async () => (await api(`/v1/jobs/${encodeURIComponent(job.id)}`, { signal })).json(), signal, "Progress");
      }
      setProgress(...describeJob(job));
      if (job.state === "failed") {
        const e = job.error || {};
        throw new ApiError(e.status || 0, e.message || "the conversion failed", e.code || null, e.exit_code ?? null);
      }
      if (job.state === "cancelled") { showInfo("The conversion was cancelled."); return; }
      const response = await politely(
        () => api(`/v1/jobs/${encodeURIComponent(job.id)}/result?format=json`, { signal }), signal, "Result");
      const documentJson = await response.json();
      if (run !== current) return;
      showResult(job, documentJson, file);
    } catch (err) {
      if (err.name === "AbortError") return;
      if (run !== current) return;
      if (err instanceof ApiError && err.status === 401) afterToken = () => convert(file);
      showError(err);
    } finally {
      if (run === current) { $("cancel").hidden = true; run = null; }
    }
  }

  /** Stop following the current job; the server's job is cancelled too. */
  function stopRun() {
    if (!run) return;
    const { controller, jobId } = run;
    run = null;
    controller.abort();
    if (jobId) api(`/v1/jobs/${encodeURIComponent(jobId)}`, { method: "DELETE" }).catch(() => {});
  }

  function setUpInputs() {
    for (const id of ["file-input", "camera-input"]) {
      $(id).addEventListener("change", (e) => {
        const file = e.target.files && e.target.files[0];
        e.target.value = ""; // picking the same file again still converts it
        convert(file);
      });
    }
    const drop = $("drop");
    let depth = 0;
    window.addEventListener("dragenter", (e) => { if (hasFiles(e)) { depth++; drop.classList.add("over"); } });
    window.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) drop.classList.remove("over"); });
    window.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
    window.addEventListener("drop", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      drop.classList.remove("over");
      convert(e.dataTransfer.files[0]);
    });
    window.addEventListener("paste", (e) => {
      const target = e.target;
      if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
      const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.kind === "file");
      if (item) { e.preventDefault(); convert(item.getAsFile()); }
    });
    $("again").addEventListener("click", () => convert(lastFile));
    $("cancel").addEventListener("click", () => {
      const wasRunning = Boolean(run);
      stopRun();
      $("cancel").hidden = true;
      if (wasRunning) { setProgress("Cancelled", 0); showInfo("The conversion was cancelled."); }
    });
    for (const id of ["detector", "derenderer"]) $(id).addEventListener("change", () => describeChoice($(id)));
  }

  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");

  // ---------------------------------------------------------------- the ink model

  const TIMING = { speed: 6.0, strokePause: 0.12, wordPause: 0.35, linePause: 0.8 }; // layout.TimingModel

  function median(values) {
    if (!values || !values.length) return null;
    const sorted = Float64Array.from(values).sort();
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

  /** Red to violet by writing order, as the SVG exporter's colour_by_order. */
  function orderColour(i, n) {
    const hue = n <= 1 ? 0 : (0.78 * i) / (n - 1);
    const s = 0.9, v = 0.85;
    const k = Math.floor(hue * 6), f = hue * 6 - k;
    const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k % 6];
    const hex = (x) => Math.floor(x * 255).toString(16).padStart(2, "0");
    return `#${hex(r)}${hex(g)}${hex(b)}`;
  }

  /** Times for ink without a clock, like layout.assign_time: in reading order, pauses between strokes, words, lines. */
  function assignTime(words) {
    let clock = 0;
    let previous = null;
    for (const word of words) {
      const key = `${word.block}/${word.line}`;
      if (previous !== null) clock += key !== previous ? TIMING.linePause : TIMING.wordPause;
      previous = key;
      const q = word.quad;
      const height = 0.5 * (dist(q[3], q[0]) + dist(q[2], q[1]));
      const speed = Math.max(1, height) * TIMING.speed;
      word.strokes.forEach((stroke, i) => {
        if (i) clock += TIMING.strokePause;
        if (stroke.rawT) {
          const start = stroke.rawT[0];
          stroke.t = Float64Array.from(stroke.rawT, (t) => t - start + clock);
        } else {
          stroke.t = new Float64Array(stroke.n);
          let s = 0;
          for (let k = 1; k < stroke.n; k++) {
            s += Math.hypot(stroke.xy[2 * k] - stroke.xy[2 * k - 2], stroke.xy[2 * k + 1] - stroke.xy[2 * k - 1]);
            stroke.t[k] = clock + s / speed;
          }
          stroke.t[0] = clock;
        }
        clock = stroke.t[stroke.n - 1];
      });
    }
  }

  function pathOf(stroke, upTo, tail) {
    const path = new Path2D();
    const xy = stroke.xy;
    if (stroke.n === 1) {
      path.arc(xy[0], xy[1], Math.max(stroke.width, 0.5) / 2, 0, 2 * Math.PI);
      return path;
    }
    path.moveTo(xy[0], xy[1]);
    for (let k = 1; k <= upTo; k++) path.lineTo(xy[2 * k], xy[2 * k + 1]);
    if (tail) path.lineTo(tail[0], tail[1]);
    return path;
  }

  /** A page of the ink JSON, ready to draw: strokes in drawing coordinates (+0.5: pixel centres), on one clock. */
  function buildPage(raw, position) {
    const words = [];
    const strokes = [];
    (raw.words || []).forEach((w, index) => {
      const word = {
        index, text: typeof w.text === "string" && w.text ? w.text : null,
        confidence: typeof w.confidence === "number" ? w.confidence : null,
        block: w.block || 0, line: w.line || 0,
        quad: w.quad.map(([x, y]) => [x + 0.5, y + 0.5]), strokes: [],
      };
      for (const s of w.strokes || []) {
        const n = (s.points || []).length;
        if (!n) continue;
        const xy = new Float64Array(2 * n);
        s.points.forEach(([x, y], k) => { xy[2 * k] = x + 0.5; xy[2 * k + 1] = y + 0.5; });
        const stroke = {
          xy, n, word, width: median(s.width) ?? 2.0,
          rawT: Array.isArray(s.t) && s.t.length === n ? Float64Array.from(s.t) : null, t: null,
        };
        word.strokes.push(stroke);
        strokes.push(stroke);
      }
      words.push(word);
    });
    if (strokes.every((s) => s.rawT)) strokes.forEach((s) => { s.t = s.rawT; }); else assignTime(words);
    strokes.forEach((s, i) => {
      s.colour = orderColour(i, strokes.length);
      s.start = s.t[0];
      s.end = s.t[s.n - 1];
      s.path = pathOf(s, s.n - 1, null);
    });
    const order = strokes.map((s, i) => i).sort((a, b) => strokes[a].start - strokes[b].start || a - b).map((i) => strokes[i]);
    const t0 = order.length ? Math.min(...order.map((s) => s.start)) : 0;
    const t1 = order.length ? Math.max(...order.map((s) => s.end)) : 0;
    return {
      position, index: raw.index ?? position, width: raw.width, height: raw.height,
      words, strokes, order, t0, t1, image: undefined, imageNote: null,
    };
  }

  // ---------------------------------------------------------------- drawing

  const view = {
    job: null, pages: [], page: null, stem: "ink",
    scale: 1, dpr: 1, clock: 0, playing: false, speedTouched: false, last: 0,
    hover: null, tipPinned: false,
  };
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");

  function layoutCanvas() {
    const page = view.page;
    if (!page) return;
    const stage = $("stage");
    const style = getComputedStyle(stage);
    const availableWidth = stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const wide = window.matchMedia("(min-width: 900px)").matches;
    const maxHeight = Math.max(220, window.innerHeight * (wide ? 0.66 : 0.6));
    const scale = Math.min(availableWidth / page.width, maxHeight / page.height, 8);
    const cssWidth = Math.max(1, Math.floor(page.width * scale));
    const cssHeight = Math.max(1, Math.floor(page.height * scale));
    view.scale = cssWidth / page.width;
    view.dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${cssWidth}px`;
    canvas.style.height = `${cssHeight}px`;
    canvas.width = Math.max(1, Math.round(cssWidth * view.dpr));
    canvas.height = Math.max(1, Math.round(cssHeight * view.dpr));
    draw();
  }

  function quadPath(quad) {
    const path = new Path2D();
    path.moveTo(quad[0][0], quad[0][1]);
    for (let k = 1; k < 4; k++) path.lineTo(quad[k][0], quad[k][1]);
    path.closePath();
    return path;
  }

  /** Where a stroke's pen is at `clock`: the index of the last point passed and the point between it and the next. */
  function partial(stroke, clock) {
    const t = stroke.t;
    let lo = 0, hi = stroke.n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (t[mid] <= clock) lo = mid; else hi = mid - 1;
    }
    const k = lo;
    if (k >= stroke.n - 1) return [k, null];
    const span = t[k + 1] - t[k];
    const f = span > 0 ? (clock - t[k]) / span : 0;
    const xy = stroke.xy;
    return [k, [xy[2 * k] + f * (xy[2 * k + 2] - xy[2 * k]), xy[2 * k + 1] + f * (xy[2 * k + 3] - xy[2 * k + 1])]];
  }

  function draw() {
    const page = view.page;
    if (!page) return;
    const s = view.scale;
    const k = view.dpr * s;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(k, 0, 0, k, 0, 0);
    const opacity = Number($("photo").value) / 100;
    if (page.image && opacity > 0) {
      ctx.globalAlpha = opacity;
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(page.image, 0, 0, page.width, page.height);
      ctx.globalAlpha = 1;
    }
    if ($("boxes").checked) {
      ctx.lineWidth = 1.25 / s;
      ctx.setLineDash([5 / s, 4 / s]);
      ctx.strokeStyle = "rgba(57, 73, 171, 0.6)";
      for (const word of page.words) ctx.stroke(quadPath(word.quad));
      ctx.setLineDash([]);
    }
    if (view.hover) {
      const path = quadPath(view.hover.quad);
      ctx.fillStyle = "rgba(57, 73, 171, 0.14)";
      ctx.fill(path);
      ctx.lineWidth = 2 / s;
      ctx.strokeStyle = "rgba(57, 73, 171, 0.95)";
      ctx.stroke(path);
    }
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    const byOrder = $("by-order").checked;
    const clock = view.clock;
    const minWidth = 1 / s; // never thinner than one CSS pixel
    for (const stroke of page.order) {
      if (stroke.start > clock) break; // sorted by start time
      const colour = byOrder ? stroke.colour : INK;
      let path = stroke.path;
      if (clock < stroke.end && stroke.n > 1) {
        const [upTo, tail] = partial(stroke, clock);
        path = pathOf(stroke, upTo, tail);
      }
      if (stroke.n === 1) {
        ctx.fillStyle = colour;
        ctx.fill(path);
      } else {
        ctx.strokeStyle = colour;
        ctx.lineWidth = Math.max(stroke.width, minWidth);
        ctx.stroke(path);
      }
    }
  }

  // ---------------------------------------------------------------- replay

  function updateTransport() {
    const page = view.page;
    const span = page ? page.t1 - page.t0 : 0;
    const at = page ? view.clock - page.t0 : 0;
    const scrub = $("scrub");
    scrub.value = span > 0 ? String(Math.round((at / span) * 1000)) : "1000";
    const text = `${at.toFixed(1)} / ${span.toFixed(1)} s`;
    $("clock").textContent = text;
    scrub.setAttribute("aria-valuetext", `${at.toFixed(1)} of ${span.toFixed(1)} seconds`);
    const play = $("play");
    const atEnd = !page || view.clock >= page.t1;
    const label = view.playing ? "Pause" : atEnd ? "Replay" : "Play";
    $("play-label").textContent = label;
    play.setAttribute("aria-label", view.playing ? "Pause the replay" : atEnd ? "Replay the writing" : "Play the writing");
    play.setAttribute("aria-pressed", String(view.playing));
    play.disabled = scrub.disabled = span <= 0;
  }

  function tick(now) {
    if (!view.playing || !view.page) return;
    view.clock += ((now - view.last) / 1000) * Number($("speed").value);
    view.last = now;
    if (view.clock >= view.page.t1) { view.clock = view.page.t1; view.playing = false; }
    draw();
    updateTransport();
    if (view.playing) requestAnimationFrame(tick);
  }

  function play() {
    const page = view.page;
    if (!page || page.t1 <= page.t0) return;
    if (view.clock >= page.t1) view.clock = page.t0;
    view.playing = true;
    view.last = performance.now();
    updateTransport();
    draw();
    requestAnimationFrame(tick);
  }

  function pause() { view.playing = false; updateTransport(); }

  function pickSpeed() {
    if (view.speedTouched || !view.page) return;
    const span = view.page.t1 - view.page.t0;
    const speeds = [...$("speed").options].map((o) => Number(o.value)).filter((v) => v >= 1);
    const fit = speeds.find((v) => span / v <= REPLAY_TARGET_S) ?? speeds[speeds.length - 1];
    $("speed").value = String(fit);
  }

  function setUpReplay() {
    $("play").addEventListener("click", () => (view.playing ? pause() : play()));
    $("scrub").addEventListener("input", () => {
      const page = view.page;
      if (!page) return;
      view.clock = page.t0 + (Number($("scrub").value) / 1000) * (page.t1 - page.t0);
      view.last = performance.now();
      draw();
      updateTransport();
    });
    $("speed").addEventListener("change", () => { view.speedTouched = true; });
    for (const id of ["by-order", "boxes", "photo"]) $(id).addEventListener("input", draw);
    document.addEventListener("keydown", (e) => {
      const target = e.target;
      const typing = target instanceof HTMLInputElement || target instanceof HTMLSelectElement ||
        target instanceof HTMLTextAreaElement || target instanceof HTMLButtonElement;
      if (e.key === " " && !typing && view.page && !$("result").hidden) {
        e.preventDefault();
        view.playing ? pause() : play();
      }
    });
  }

  // ---------------------------------------------------------------- word tooltips

  function inQuad(x, y, quad) {
    let inside = false;
    for (let i = 0, j = 3; i < 4; j = i++) {
      const [xi, yi] = quad[i], [xj, yj] = quad[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function quadArea(q) {
    let a = 0;
    for (let i = 0, j = 3; i < 4; j = i++) a += q[j][0] * q[i][1] - q[i][0] * q[j][1];
    return Math.abs(a) / 2;
  }

  function wordAt(clientX, clientY) {
    const page = view.page;
    if (!page) return null;
    const rect = canvas.getBoundingClientRect();
    const x = (clientX - rect.left) / view.scale;
    const y = (clientY - rect.top) / view.scale;
    let best = null;
    for (const word of page.words) {
      if (inQuad(x, y, word.quad) && (!best || quadArea(word.quad) < quadArea(best.quad))) best = word;
    }
    return best;
  }

  function showTip(word, clientX, clientY, above) {
    const tip = $("tip");
    if (!word) { tip.hidden = true; return; }
    const page = view.page;
    tip.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = word.text ?? "(no text)";
    const meta = document.createElement("span");
    meta.className = "meta";
    const parts = [`word ${word.index + 1} of ${page.words.length}`, plural(word.strokes.length, "stroke")];
    if (word.confidence !== null) parts.push(`confidence ${Math.round(word.confidence * 100)}%`);
    if (word.text === null) parts.push("choose mode text with an OCR detector to read words");
    meta.textContent = parts.join(" · ");
    tip.append(title, meta);
    tip.hidden = false;
    const stage = $("stage").getBoundingClientRect();
    const w = tip.offsetWidth, h = tip.offsetHeight;
    let left = clientX - stage.left + 14;
    let top = above ? clientY - stage.top - h - 24 : clientY - stage.top + 16;
    if (left + w > stage.width - 4) left = Math.max(4, clientX - stage.left - w - 14);
    if (top + h > stage.height - 4) top = Math.max(4, clientY - stage.top - h - 12);
    if (top < 4) top = Math.min(stage.height - h - 4, clientY - stage.top + 16);
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${Math.max(4, top)}px`;
  }

  function setHover(word) {
    if (word !== view.hover) { view.hover = word; draw(); }
  }

  function setUpTooltips() {
    canvas.addEventListener("pointermove", (e) => {
      if (e.pointerType === "touch" || view.tipPinned) return;
      const word = wordAt(e.clientX, e.clientY);
      setHover(word);
      showTip(word, e.clientX, e.clientY, false);
      canvas.style.cursor = word ? "help" : "";
    });
    canvas.addEventListener("pointerleave", (e) => {
      if (e.pointerType === "touch" || view.tipPinned) return;
      setHover(null);
      showTip(null);
    });
    canvas.addEventListener("pointerdown", (e) => {
      if (e.pointerType !== "touch" && e.pointerType !== "pen") return;
      const word = wordAt(e.clientX, e.clientY);
      view.tipPinned = Boolean(word);
      setHover(word);
      showTip(word, e.clientX, e.clientY, true);
    });
    document.addEventListener("pointerdown", (e) => {
      if (e.target !== canvas && view.tipPinned) { view.tipPinned = false; setHover(null); showTip(null); }
    });
  }

  // ---------------------------------------------------------------- pages and images

  async function loadImage(page) {
    if (page.image !== undefined) return;
    page.image = null; // loading, or none
    try {
      const url = `/v1/jobs/${encodeURIComponent(view.job.id)}/pages/${page.position}/image`;
      const blob = await (await politely(() => api(url), null, "Page image")).blob();
      page.image = await decodeImage(blob);
    } catch (err) {
      page.image = null;
      if (!(err instanceof ApiError && err.status === 404)) page.imageNote = `The page image could not be shown: ${err.message}`;
    }
    if (view.page === page) { draw(); describePage(); }
  }

  async function decodeImage(blob) {
    if (typeof createImageBitmap === "function") return createImageBitmap(blob);
    const url = URL.createObjectURL(blob);
    try {
      const image = new Image();
      image.src = url;
      await image.decode();
      return image;
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  function describePage() {
    const page = view.page;
    const stroked = page.strokes.length;
    const span = page.t1 - page.t0;
    const text = page.words.map((w) => w.text).filter(Boolean).join(" ");
    const bits = [
      `${page.width} × ${page.height} px`, plural(page.words.length, "word"), plural(stroked, "stroke"),
      `${span.toFixed(1)} s of writing`,
    ];
    $("summary").textContent = bits.join(" · ") + (page.imageNote ? `. ${page.imageNote}` : "");
    canvas.setAttribute("aria-label", `Page ${page.position + 1} of ${view.pages.length} with its ink: ${bits.join(", ")}` +
      (text ? `. Text: ${text}` : ""));
  }

  function showPage(position) {
    const page = view.pages[position];
    if (!page) return;
    view.playing = false;
    view.page = page;
    view.hover = null;
    view.clock = page.t1; // the finished page first; Replay writes it again
    $("page").value = String(position);
    $("prev").disabled = position === 0;
    $("next").disabled = position === view.pages.length - 1;
    showTip(null);
    pickSpeed();
    describePage();
    layoutCanvas();
    updateTransport();
    loadImage(page);
  }

  function setUpPages() {
    $("page").addEventListener("change", () => showPage(Number($("page").value)));
    $("prev").addEventListener("click", () => showPage(view.page.position - 1));
    $("next").addEventListener("click", () => showPage(view.page.position + 1));
    let lastWidth = 0;
    new ResizeObserver(() => {
      const width = $("stage").clientWidth;
      if (width !== lastWidth) { lastWidth = width; layoutCanvas(); }
    }).observe($("stage"));
    window.addEventListener("resize", layoutCanvas);
    const watchRatio = () => {
      const query = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
      query.addEventListener("change", () => { layoutCanvas(); watchRatio(); }, { once: true });
    };
    watchRatio();
  }

  // ---------------------------------------------------------------- results and downloads

  function fileStem(name) {
    const base = (name || "ink").split(/[\\/]/).pop().replace(/\.[^.]+$/, "");
    return base.replace(/[^\p{L}\p{N}._ -]+/gu, "_").slice(0, 120) || "ink";
  }

  function extensionOf(format) {
    const row = exporters.get(format);
    const ext = row && row.extensions && row.extensions[0];
    return ext || `.${format}`;
  }

  function filenameFrom(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) { try { return decodeURIComponent(star[1]); } catch { /* fall through */ } }
    const plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  async function download(format, button) {
    if (button.getAttribute("aria-busy") === "true") return;
    button.setAttribute("aria-busy", "true");
    const job = view.job;
    try {
      const url = `/v1/jobs/${encodeURIComponent(job.id)}/result?format=${encodeURIComponent(format)}`;
      const response = await politely(() => api(url), null, "Download");
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = filenameFrom(response, `${view.stem}${extensionOf(format)}`);
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) afterToken = () => download(format, button);
      showError(err);
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  function fillDownloads(job) {
    const box = $("downloads");
    box.replaceChildren();
    const formats = Array.isArray(job.formats) && job.formats.length ? job.formats : [...exporters.keys()];
    const rank = (f) => { const i = FORMAT_ORDER.indexOf(f); return i < 0 ? FORMAT_ORDER.length : i; };
    for (const format of [...formats].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = format === "inkml" ? "button primary" : "button";
      button.id = `download-${format}`;
      button.dataset.format = format;
      const row = exporters.get(format);
      if (row && row.description) button.title = row.description;
      button.innerHTML = '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 4v11m-5-5 5 5 5-5M5 20h14"/></svg>';
      const label = document.createElement("span");
      label.textContent = FORMAT_LABELS[format] || format;
      const ext = document.createElement("span");
      ext.className = "ext";
      ext.textContent = extensionOf(format);
      button.append(label, ext);
      button.setAttribute("aria-label", `Download ${FORMAT_LABELS[format] || format} (${extensionOf(format)})`);
      button.addEventListener("click", () => download(format, button));
      box.append(button);
    }
    const expires = job.expires_at ? new Date(job.expires_at) : null;
    $("expires").textContent = expires && !Number.isNaN(expires.getTime())
      ? `Kept on the server until ${expires.toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}.`
      : "";
  }

  function fillWarnings(job, documentJson) {
    const warnings = [...(job.warnings || [])];
    for (const problem of (documentJson.metadata && documentJson.metadata.problems) || []) {
      if (!warnings.includes(problem)) warnings.push(problem);
    }
    const list = $("warnings");
    list.replaceChildren(...warnings.map((w) => {
      const item = document.createElement("li");
      item.textContent = typeof w === "string" ? w : w.message || JSON.stringify(w);
      return item;
    }));
    $("warnings-title").textContent = plural(warnings.length, "warning");
    $("warnings-box").hidden = !warnings.length;
  }

  function showResult(job, documentJson, file) {
    view.job = job;
    view.stem = fileStem(file.name);
    view.pages = (documentJson.pages || []).map(buildPage);
    $("empty").hidden = true;
    $("result").hidden = false;
    $("result").dataset.job = job.id; // which job the downloads come from (for scripts and tests)
    $("viewer-title").textContent = file.name || "Your ink";
    const select = $("page");
    select.replaceChildren(...view.pages.map((p, i) => new Option(`Page ${i + 1} of ${view.pages.length}`, String(i))));
    $("pager").hidden = view.pages.length < 2;
    fillDownloads(job);
    fillWarnings(job, documentJson);
    if (view.pages.length) {
      showPage(0);
    } else {
      $("summary").textContent = "The document has no pages.";
    }
    if (!window.matchMedia("(min-width: 900px)").matches) $("viewer").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // ---------------------------------------------------------------- start

  setUpTokenDialog();
  setUpInputs();
  setUpReplay();
  setUpTooltips();
  setUpPages();
  loadPlugins();
})();
