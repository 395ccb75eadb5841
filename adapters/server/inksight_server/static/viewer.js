/* The result view: a page's photo and ink on a HiDPI canvas, the page selector, the replay
 * (play, pause, scrub along the page clock, speed), colour by stroke order, word boxes with
 * their text in a tooltip (hover with a mouse, tap on a touch screen).
 */

import { ApiError, api, politely } from "./api.js";
import { buildPage, drawPage, wordAt } from "./ink.js";

const $ = (id) => document.getElementById(id);
const REPLAY_TARGET_S = 15; // the speed picked for a page plays it in about this long
const MAX_ZOOM = 8; // small photos are enlarged at most this much
const CONTROLS_PX = 330; // on a wide screen: the heading, the page's title and the replay controls

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

const view = {
  jobId: null, pages: [], page: null,
  scale: 1, dpr: 1, clock: 0, playing: false, last: 0, speedTouched: false,
  hover: null, tipPinned: false,
};
const canvas = $("canvas");
const ctx = canvas.getContext("2d");

function draw() {
  if (!view.page) return;
  drawPage(ctx, view.page, {
    scale: view.scale,
    dpr: view.dpr,
    clock: view.clock,
    photoOpacity: Number($("photo").value) / 100,
    boxes: $("boxes").checked,
    hover: view.hover,
    byOrder: $("by-order").checked,
  });
}

/** Size the canvas to the stage (the whole page in view) with a backing store of device pixels. */
function layoutCanvas() {
  const page = view.page;
  if (!page) return;
  const stage = $("stage");
  const style = getComputedStyle(stage);
  const width = stage.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const wide = window.matchMedia("(min-width: 900px)").matches; // the replay controls stay in view below
  const tallest = Math.max(220, wide ? window.innerHeight - CONTROLS_PX : window.innerHeight * 0.6);
  const scale = Math.min(width / page.width, tallest / page.height, MAX_ZOOM);
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

// ---------------------------------------------------------------- replay

function updateTransport() {
  const page = view.page;
  const span = page ? page.t1 - page.t0 : 0;
  const at = page ? view.clock - page.t0 : 0;
  const scrub = $("scrub");
  scrub.value = span > 0 ? String(Math.round((at / span) * 1000)) : "1000";
  $("clock").textContent = `${at.toFixed(1)} / ${span.toFixed(1)} s`;
  scrub.setAttribute("aria-valuetext", `${at.toFixed(1)} of ${span.toFixed(1)} seconds`);
  const atEnd = !page || view.clock >= page.t1;
  $("play-label").textContent = view.playing ? "Pause" : atEnd ? "Replay" : "Play";
  const play = $("play");
  const action = view.playing ? "Pause the replay" : atEnd ? "Replay the writing" : "Play the writing";
  play.setAttribute("aria-label", action);
  play.setAttribute("aria-pressed", String(view.playing));
  play.disabled = scrub.disabled = span <= 0;
}

function tick(now) {
  if (!view.playing || !view.page) return;
  view.clock += ((now - view.last) / 1000) * Number($("speed").value);
  view.last = now;
  if (view.clock >= view.page.t1) {
    view.clock = view.page.t1;
    view.playing = false;
  }
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

function pause() {
  view.playing = false;
  updateTransport();
}

/** Until the user picks a speed: the slowest that replays the page in about REPLAY_TARGET_S. */
function pickSpeed() {
  if (view.speedTouched || !view.page) return;
  const span = view.page.t1 - view.page.t0;
  const speeds = [...$("speed").options].map((o) => Number(o.value)).filter((v) => v >= 1);
  $("speed").value = String(speeds.find((v) => span / v <= REPLAY_TARGET_S) ?? speeds[speeds.length - 1]);
}

// ---------------------------------------------------------------- word tooltips

function wordUnder(clientX, clientY) {
  if (!view.page) return null;
  const rect = canvas.getBoundingClientRect();
  return wordAt(view.page, (clientX - rect.left) / view.scale, (clientY - rect.top) / view.scale);
}

function showTip(word, clientX, clientY, above) {
  const tip = $("tip");
  if (!word) {
    tip.hidden = true;
    return;
  }
  const title = document.createElement("strong");
  title.textContent = word.text ?? "(no text)";
  const meta = document.createElement("span");
  meta.className = "meta";
  const parts = [`word ${word.index + 1} of ${view.page.words.length}`, plural(word.strokes.length, "stroke")];
  if (word.confidence !== null) parts.push(`confidence ${Math.round(word.confidence * 100)}%`);
  if (word.text === null) parts.push("to read words, convert with mode text and an OCR detector");
  meta.textContent = parts.join(" · ");
  tip.replaceChildren(title, meta);
  tip.hidden = false;
  const stage = $("stage").getBoundingClientRect();
  const w = tip.offsetWidth, h = tip.offsetHeight;
  const x = clientX - stage.left, y = clientY - stage.top;
  let left = x + 14 + w > stage.width - 4 ? x - w - 14 : x + 14;
  let top = above ? y - h - 24 : y + 16; // above a finger, below a mouse pointer
  if (top + h > stage.height - 4) top = y - h - 12;
  if (top < 4) top = y + 16;
  left = Math.max(4, Math.min(left, stage.width - w - 4));
  top = Math.max(4, Math.min(top, stage.height - h - 4));
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

function setHover(word) {
  if (word !== view.hover) {
    view.hover = word;
    draw();
  }
}

function setUpTooltips() {
  canvas.addEventListener("pointermove", (e) => {
    if (e.pointerType === "touch" || view.tipPinned) return;
    const word = wordUnder(e.clientX, e.clientY);
    setHover(word);
    showTip(word, e.clientX, e.clientY, false);
    canvas.style.cursor = word ? "help" : "";
  });
  canvas.addEventListener("pointerleave", (e) => {
    if (e.pointerType === "touch" || view.tipPinned) return;
    setHover(null);
    showTip(null);
  });
  canvas.addEventListener("pointerdown", (e) => { // a tap shows the word until the next tap elsewhere
    if (e.pointerType !== "touch" && e.pointerType !== "pen") return;
    const word = wordUnder(e.clientX, e.clientY);
    view.tipPinned = Boolean(word);
    setHover(word);
    showTip(word, e.clientX, e.clientY, true);
  });
  document.addEventListener("pointerdown", (e) => {
    if (e.target !== canvas && view.tipPinned) {
      view.tipPinned = false;
      setHover(null);
      showTip(null);
    }
  });
}

// ---------------------------------------------------------------- pages and their images

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

/** Fetch the page's image once (none for pure-ink inputs: 404); the stage is aria-busy meanwhile. */
async function loadImage(page, jobId) {
  if (page.image !== undefined) return;
  page.image = null;
  const stage = $("stage");
  stage.setAttribute("aria-busy", "true");
  try {
    const url = `/v1/jobs/${encodeURIComponent(jobId)}/pages/${page.position + 1}/image`;
    const response = await politely(() => api(url), null, () => {});
    page.image = await decodeImage(await response.blob());
  } catch (err) {
    page.image = null;
    if (!(err instanceof ApiError && err.status === 404)) { // 404: an ink file's page, which has no image
      page.imageNote = `the page image could not be shown: ${err.message}`;
    }
  }
  if (view.page === page && view.jobId === jobId) {
    stage.removeAttribute("aria-busy");
    draw();
    describePage();
  }
}

function describePage() {
  const page = view.page;
  const facts = [
    `${page.width} × ${page.height} px`,
    plural(page.words.length, "word"),
    plural(page.strokes.length, "stroke"),
    `${(page.t1 - page.t0).toFixed(1)} s of writing`,
  ];
  $("summary").textContent = facts.join(" · ") + (page.imageNote ? `; ${page.imageNote}` : "");
  const text = page.words.map((w) => w.text).filter(Boolean).join(" ");
  const which = `Page ${page.position + 1} of ${view.pages.length}`;
  canvas.setAttribute("aria-label", `${which} with its ink: ${facts.join(", ")}${text ? `. Text: ${text}` : ""}`);
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
  $("stage").removeAttribute("aria-busy");
  showTip(null);
  pickSpeed();
  describePage();
  layoutCanvas();
  updateTransport();
  loadImage(page, view.jobId);
}

/** Show the ink JSON `document` of job `jobId`, from its first page. */
export function showDocument(jobId, document_) {
  view.jobId = jobId;
  view.pages = (document_.pages || []).map(buildPage);
  const select = $("page");
  select.replaceChildren(...view.pages.map((p, i) => new Option(`Page ${i + 1} of ${view.pages.length}`, String(i))));
  $("pager").hidden = view.pages.length < 2;
  if (view.pages.length) {
    showPage(0);
  } else {
    view.page = null;
    $("summary").textContent = "The document has no pages.";
  }
}

/** Wire the view's controls; call once. */
export function setUpViewer() {
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
  document.addEventListener("keydown", (e) => { // space plays and pauses, as in a video player
    const t = e.target;
    const controls = [HTMLInputElement, HTMLSelectElement, HTMLTextAreaElement, HTMLButtonElement, HTMLDialogElement];
    const busy = controls.some((kind) => t instanceof kind) || (t instanceof HTMLElement && t.closest("dialog"));
    if (e.key === " " && !busy && view.page && !$("result").hidden) {
      e.preventDefault();
      if (view.playing) pause(); else play();
    }
  });
  setUpTooltips();
  $("page").addEventListener("change", () => showPage(Number($("page").value)));
  $("prev").addEventListener("click", () => showPage(view.page.position - 1));
  $("next").addEventListener("click", () => showPage(view.page.position + 1));
  let lastWidth = 0;
  new ResizeObserver(() => {
    const width = $("stage").clientWidth;
    if (width !== lastWidth) {
      lastWidth = width;
      layoutCanvas();
    }
  }).observe($("stage"));
  window.addEventListener("resize", layoutCanvas);
  const watchPixelRatio = () => { // zooming or moving to another screen changes it
    const query = window.matchMedia(`(resolution: ${window.devicePixelRatio || 1}dppx)`);
    query.addEventListener("change", () => { layoutCanvas(); watchPixelRatio(); }, { once: true });
  };
  watchPixelRatio();
}
