/* The HTTP API as the page uses it: the bearer token, JSON errors, uploads with progress,
 * and polite waiting when the server is busy (429/503 with Retry-After).
 *
 * Every request carries the optional token kept in this browser's localStorage; that is
 * why images and downloads are fetched here too (an <img src> or a plain link could not
 * send it) and shown or saved from blobs.
 */

const TOKEN_KEY = "inksight.token";
const BUSY_TRIES = 12; // busy answers in a row before the page gives up

/** An error answer of the API, from its JSON form {"error": {status, exit_code, code, message}}. */
export class ApiError extends Error {
  constructor(status, message, code = null, exitCode = null, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.exitCode = exitCode;
    this.retryAfter = retryAfter;
  }
}

/** The bearer token, kept in this browser only (nothing when storage is off, as in private windows). */
export const token = {
  get() {
    try { return localStorage.getItem(TOKEN_KEY) || ""; } catch { return ""; }
  },
  set(value) {
    try {
      if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
    } catch { /* storage off: the token lasts until the page closes */ }
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
  try { body = JSON.parse(text); } catch { /* not JSON: a proxy's error page, say */ }
  const e = body && typeof body === "object" ? body.error : null;
  if (e && typeof e === "object" && e.message) {
    return new ApiError(e.status || status, String(e.message), e.code || null, e.exit_code ?? null, retryAfter);
  }
  if (body && typeof body.detail === "string") return new ApiError(status, body.detail, null, null, retryAfter);
  return new ApiError(status, `the server answered ${status} ${statusText || ""}`.trim(), null, null, retryAfter);
}

/** fetch() on the API with the token; resolves to the Response when ok, else throws an ApiError. */
export async function api(path, { method = "GET", body = undefined, signal = undefined } = {}) {
  let response;
  try {
    response = await fetch(path, { method, body, signal, headers: authHeaders(), cache: "no-store" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "cannot reach the server; check that it is running and the network is up");
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  const retryAfter = retryAfterSeconds(response.headers.get("Retry-After"));
  throw errorFromBody(response.status, response.statusText, text, retryAfter);
}

/** POST /v1/jobs, reporting upload progress (0..1) as it goes (fetch cannot); resolves to the job. */
export function postJob(form, onProgress, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/jobs");
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, "the server's answer was not JSON"));
        }
      } else {
        const retryAfter = retryAfterSeconds(xhr.getResponseHeader("Retry-After"));
        reject(errorFromBody(xhr.status, xhr.statusText, xhr.responseText, retryAfter));
      }
    };
    xhr.onerror = () => {
      reject(new ApiError(0, "the upload did not reach the server; check the connection and try again"));
    };
    xhr.onabort = () => reject(new DOMException("cancelled", "AbortError"));
    if (signal) signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

/** Wait `ms`; an aborted `signal` ends the wait with an AbortError. */
export function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (signal) {
      const stop = () => {
        clearTimeout(timer);
        reject(new DOMException("cancelled", "AbortError"));
      };
      signal.addEventListener("abort", stop, { once: true });
    }
  });
}

/** Run `attempt`; while the server answers busy (429/503), wait as long as its Retry-After says
 * (2 s more each time when it says nothing) and try again, telling `onWait(error, secondsLeft)`
 * each second, and `onWait(null)` when trying again. */
export async function politely(attempt, signal, onWait) {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const busy = err instanceof ApiError && (err.status === 429 || err.status === 503);
      if (!busy || tries >= BUSY_TRIES) throw err;
      for (let left = Math.min(120, Math.max(1, err.retryAfter ?? 2 * tries)); left > 0; left--) {
        onWait(err, left);
        await sleep(1000, signal);
      }
      onWait(null, 0);
    }
  }
}
