/* The ink of one page, ready to draw and replay, and its drawing on a canvas.
 *
 * The ink JSON (schemas/ink-document.schema.json) is in page pixels with pixel centres on
 * integers, so a point x is drawn at (x + 0.5) * scale over the page image, as the SVG and
 * replay exporters draw it. The replay runs the page clock (each stroke's t, in seconds);
 * ink without a clock (read from a file that had none) is timed as the pipeline times it
 * (inksight_sdk.layout.assign_time), so every page can be replayed.
 */

/** The exporters' default ink colour. */
export const INK = "#1a237e";
const BOX = "rgba(57, 73, 171, 0.6)";
const HOVER_FILL = "rgba(57, 73, 171, 0.14)";
const HOVER_LINE = "rgba(57, 73, 171, 0.95)";
/** inksight_sdk.layout.TimingModel: pen speed in word heights per second, pauses in seconds. */
const TIMING = { speed: 6.0, strokePause: 0.12, wordPause: 0.35, linePause: 0.8 };

function median(values) {
  if (!Array.isArray(values) || !values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Red to violet by writing order: the SVG and replay exporters' colour_by_order. */
export function orderColour(i, n) {
  const hue = n <= 1 ? 0 : (0.78 * i) / (n - 1);
  const s = 0.9, v = 0.85;
  const k = Math.floor(hue * 6), f = hue * 6 - k;
  const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][k % 6];
  const hex = (x) => Math.floor(x * 255).toString(16).padStart(2, "0");
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

/** Give every stroke a clock in reading order, as layout.assign_time: strokes that have times keep
 * their rhythm and are shifted; the others run at a pen speed of a few word heights a second. */
function assignTime(words) {
  let clock = 0;
  let previous = null;
  for (const word of words) {
    const key = `${word.block}/${word.line}`;
    if (previous !== null) clock += key !== previous ? TIMING.linePause : TIMING.wordPause;
    previous = key;
    const q = word.quad;
    const speed = Math.max(1, 0.5 * (distance(q[3], q[0]) + distance(q[2], q[1]))) * TIMING.speed;
    word.strokes.forEach((stroke, i) => {
      if (i) clock += TIMING.strokePause;
      const t = new Float64Array(stroke.n);
      if (stroke.rawT) {
        for (let k = 0; k < stroke.n; k++) t[k] = stroke.rawT[k] - stroke.rawT[0] + clock;
      } else {
        let travelled = 0;
        t[0] = clock;
        for (let k = 1; k < stroke.n; k++) {
          const xy = stroke.xy;
          travelled += Math.hypot(xy[2 * k] - xy[2 * k - 2], xy[2 * k + 1] - xy[2 * k - 1]);
          t[k] = clock + travelled / speed;
        }
      }
      stroke.t = t;
      clock = t[stroke.n - 1];
    });
  }
}

/** A stroke's path through point `upTo`, then on to `tail` (where the pen is between two points). */
function pathOf(stroke, upTo, tail) {
  const path = new Path2D();
  const xy = stroke.xy;
  if (stroke.n === 1) { // a dot: a zero-length line would not be drawn
    path.arc(xy[0], xy[1], Math.max(stroke.width, 0.5) / 2, 0, 2 * Math.PI);
    return path;
  }
  path.moveTo(xy[0], xy[1]);
  for (let k = 1; k <= upTo; k++) path.lineTo(xy[2 * k], xy[2 * k + 1]);
  if (tail) path.lineTo(tail[0], tail[1]);
  return path;
}

/** Where a stroke's pen is at `clock`: the last point it passed and the point it has reached since. */
function penAt(stroke, clock) {
  const t = stroke.t;
  let lo = 0, hi = stroke.n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid] <= clock) lo = mid; else hi = mid - 1;
  }
  if (lo >= stroke.n - 1) return [lo, null];
  const span = t[lo + 1] - t[lo];
  const f = span > 0 ? (clock - t[lo]) / span : 0;
  const xy = stroke.xy;
  return [lo, [xy[2 * lo] + f * (xy[2 * lo + 2] - xy[2 * lo]), xy[2 * lo + 1] + f * (xy[2 * lo + 3] - xy[2 * lo + 1])]];
}

/** A page of the ink JSON ready to draw: words with quads, strokes in drawing coordinates, on one clock,
 * `order` sorted by start time (the replay's order), `t0`..`t1` the page clock's span. */
export function buildPage(raw, position) {
  const words = [];
  const strokes = [];
  (raw.words || []).forEach((w, index) => {
    const word = {
      index,
      text: typeof w.text === "string" && w.text ? w.text : null,
      confidence: typeof w.confidence === "number" ? w.confidence : null,
      block: w.block || 0,
      line: w.line || 0,
      quad: w.quad.map(([x, y]) => [x + 0.5, y + 0.5]),
      strokes: [],
    };
    for (const s of w.strokes || []) {
      const n = (s.points || []).length;
      if (!n) continue;
      const xy = new Float64Array(2 * n);
      s.points.forEach(([x, y], k) => { xy[2 * k] = x + 0.5; xy[2 * k + 1] = y + 0.5; });
      const rawT = Array.isArray(s.t) && s.t.length === n ? s.t : null;
      const stroke = { xy, n, word, width: median(s.width) ?? 2.0, rawT, t: rawT };
      word.strokes.push(stroke);
      strokes.push(stroke);
    }
    words.push(word);
  });
  if (!strokes.every((s) => s.rawT)) assignTime(words);
  let t0 = Infinity, t1 = -Infinity;
  strokes.forEach((s, i) => {
    s.colour = orderColour(i, strokes.length);
    s.start = s.t[0];
    s.end = s.t[s.n - 1];
    s.path = pathOf(s, s.n - 1, null);
    t0 = Math.min(t0, s.start);
    t1 = Math.max(t1, s.end);
  });
  const order = strokes.map((s, i) => [s, i]).sort((a, b) => a[0].start - b[0].start || a[1] - b[1]).map(([s]) => s);
  return {
    position,
    width: raw.width,
    height: raw.height,
    words,
    strokes,
    order,
    t0: strokes.length ? t0 : 0,
    t1: strokes.length ? t1 : 0,
    image: undefined, // undefined: not asked yet; null: none (pure ink) or unavailable
    imageNote: null,
  };
}

function quadPath(quad) {
  const path = new Path2D();
  path.moveTo(quad[0][0], quad[0][1]);
  for (let k = 1; k < 4; k++) path.lineTo(quad[k][0], quad[k][1]);
  path.closePath();
  return path;
}

/** Draw `page` on `ctx` (a canvas of `scale` CSS pixels per page pixel and `dpr` device pixels per
 * CSS pixel): white paper, the photo at `photoOpacity`, word boxes, the hovered word, and the ink
 * written up to `clock`, in INK or in writing-order colours. */
export function drawPage(ctx, page, { scale, dpr, clock, photoOpacity, boxes, hover, byOrder }) {
  const { canvas } = ctx;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(dpr * scale, 0, 0, dpr * scale, 0, 0); // from here on: page pixels
  if (page.image && photoOpacity > 0) {
    ctx.globalAlpha = photoOpacity;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(page.image, 0, 0, page.width, page.height);
    ctx.globalAlpha = 1;
  }
  if (boxes) {
    ctx.lineWidth = 1.25 / scale;
    ctx.setLineDash([5 / scale, 4 / scale]);
    ctx.strokeStyle = BOX;
    for (const word of page.words) ctx.stroke(quadPath(word.quad));
    ctx.setLineDash([]);
  }
  if (hover) {
    const path = quadPath(hover.quad);
    ctx.fillStyle = HOVER_FILL;
    ctx.fill(path);
    ctx.lineWidth = 2 / scale;
    ctx.strokeStyle = HOVER_LINE;
    ctx.stroke(path);
  }
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  const thinnest = 1 / scale; // never thinner than one CSS pixel
  for (const stroke of page.order) {
    if (stroke.start > clock) break;
    const colour = byOrder ? stroke.colour : INK;
    let path = stroke.path;
    if (clock < stroke.end && stroke.n > 1) {
      const [upTo, tail] = penAt(stroke, clock);
      path = pathOf(stroke, upTo, tail);
    }
    if (stroke.n === 1) {
      ctx.fillStyle = colour;
      ctx.fill(path);
    } else {
      ctx.strokeStyle = colour;
      ctx.lineWidth = Math.max(stroke.width, thinnest);
      ctx.stroke(path);
    }
  }
}

function inQuad(x, y, quad) {
  let inside = false;
  for (let i = 0, j = 3; i < 4; j = i++) {
    const [xi, yi] = quad[i], [xj, yj] = quad[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function quadArea(q) {
  let twice = 0;
  for (let i = 0, j = 3; i < 4; j = i++) twice += q[j][0] * q[i][1] - q[i][0] * q[j][1];
  return Math.abs(twice) / 2;
}

/** The word whose box holds the drawing point (x, y); the smallest one where boxes overlap. */
export function wordAt(page, x, y) {
  let best = null;
  for (const word of page.words) {
    if (inQuad(x, y, word.quad) && (!best || quadArea(word.quad) < quadArea(best.quad))) best = word;
  }
  return best;
}
