// Talking to the SnapDesk API from the browser, and what the page keeps in localStorage.
// API paths are resolved against this module's URL, so SnapDesk also works behind a path prefix.
const BASE = new URL("../", import.meta.url);
const KEY = "snapdesk.chat.v1";

export function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || {};
  } catch {
    return {};
  }
}

export function save(state) {
  try {
    localStorage.setItem(KEY, JSON.stringify(state));
  } catch {
    // Quota full (a large screenshot copy): keep the conversation, drop the copy of the picture.
    try {
      localStorage.setItem(KEY, JSON.stringify({ ...state, shot: null }));
    } catch { /* storage unavailable: the page still works, it just forgets on reload */ }
  }
}

// An anonymous browser token: keeps this browser's sessions apart from other browsers on the same machine.
// getRandomValues, not randomUUID: the latter needs a secure context, and a shop may serve plain http inside.
export function browserToken(state) {
  if (!state.browser) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    state.browser = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return state.browser;
}

function headers(state, extra = {}) {
  return { "X-SnapDesk-Browser": browserToken(state), ...extra };
}

async function failure(response) {
  try {
    const body = await response.json();
    return new Error(body.error?.message || response.statusText);
  } catch {
    return new Error(`HTTP ${response.status}`);
  }
}

// POST /chat as server-sent events: onText(piece) for each piece, onText(null) when a model withdraws what it
// streamed so far ("reset"); resolves with the final JSON ("done"), rejects on an "error" event.
export async function ask(state, { text, image, sessionId }, onText) {
  const form = new FormData();
  form.append("text", text);
  if (image) form.append("image", image, image.name || "screenshot.png");
  if (sessionId) form.append("session_id", sessionId);
  const response = await fetch(new URL("chat", BASE), {
    method: "POST",
    body: form,
    headers: headers(state, { Accept: "text/event-stream" }),
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let done = null;
  for (;;) {
    const { value, done: finished } = await reader.read();
    if (value) buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (event.name === "delta") onText(JSON.parse(event.data).text);
      if (event.name === "reset") onText(null);
      if (event.name === "error") throw new Error(JSON.parse(event.data).error?.message || "error");
      if (event.name === "done") done = JSON.parse(event.data);
    }
    if (finished) break;
  }
  if (!done) throw new Error("the answer stream ended early");
  return done;
}

function parseEvent(block) {
  const event = { name: "message", data: "" };
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event.name = line.slice(6).trim();
    else if (line.startsWith("data:")) event.data += line.slice(5).replace(/^ /, "");
  }
  return event;
}

export async function session(state, id) {
  const response = await fetch(new URL(`sessions/${encodeURIComponent(id)}`, BASE), { headers: headers(state) });
  if (response.status === 404) return null;
  if (!response.ok) throw await failure(response);
  return response.json();
}

// Messages written after `after` (null: all), waiting up to `wait` seconds for one; null when the session is gone.
export async function messages(state, id, after, wait) {
  const query = new URLSearchParams({ wait: String(wait) });
  if (after) query.set("after", after);
  const path = `sessions/${encodeURIComponent(id)}/messages?${query}`;
  const response = await fetch(new URL(path, BASE), { headers: headers(state) });
  if (response.status === 404) return null;
  if (!response.ok) throw await failure(response);
  return response.json();
}

// One of the session's screenshots as a Blob, or null (gone after the retention period, or refused).
export async function screenshot(state, sessionId, digest) {
  const path = `sessions/${encodeURIComponent(sessionId)}/images/${encodeURIComponent(digest)}`;
  const response = await fetch(new URL(path, BASE), { headers: headers(state) });
  return response.ok ? response.blob() : null;
}

export async function feedback(state, messageId, rating) {
  const response = await fetch(new URL("feedback", BASE), {
    method: "POST",
    headers: headers(state, { "Content-Type": "application/json" }),
    body: JSON.stringify({ message_id: messageId, rating }),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}
