// The customer chat page. Everything read from a screenshot is untrusted: it only ever reaches the page
// through textContent, never innerHTML.
import * as api from "./api.js";
import { t, translatePage } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const state = api.load();
state.meta ||= {}; // message id -> {fields, evidence, rating}: what GET /sessions does not return
let pending = null; // the chosen screenshot, sent with the next question
let shown = null; // the picture on the preview: {src, w, h} with w, h its original size in pixels
const live = { session: null, cursor: null, running: false, replies: new Set() }; // waiting for a person's reply

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- the screenshot preview and its evidence boxes

function showPicture(picture) {
  shown = picture;
  $("preview-img").src = picture.src;
  $("preview").hidden = false;
  $("drop").hidden = true;
  showEvidence([]);
}

function clearPicture() {
  pending = null;
  shown = null;
  $("preview").hidden = true;
  $("drop").hidden = false;
  $("preview-img").removeAttribute("src");
  showEvidence([]);
}

async function choose(file) {
  if (!file || !file.type.startsWith("image/")) return say(t("notImage"), "error");
  // Decoding here also catches a broken file before it is sent.
  const bitmap = await createImageBitmap(file).catch(() => null);
  if (!bitmap) return say(t("notImage"), "error");
  pending = file;
  showPicture({ src: URL.createObjectURL(file), w: bitmap.width, h: bitmap.height });
  bitmap.close();
  $("question").focus();
}

// Boxes are in the original image's pixels: placed as percentages, they fit the preview at any size.
function showEvidence(evidence) {
  const overlay = $("overlay");
  overlay.replaceChildren();
  if (!shown) return;
  for (const line of evidence) {
    const [x0, y0, x1, y1] = line.box;
    const box = el("div", "box");
    box.dataset.text = line.text;
    Object.assign(box.style, {
      left: `${(100 * x0) / shown.w}%`,
      top: `${(100 * y0) / shown.h}%`,
      width: `${(100 * (x1 - x0)) / shown.w}%`,
      height: `${(100 * (y1 - y0)) / shown.h}%`,
    });
    overlay.append(box);
  }
}

function highlight(evidence, value) {
  showEvidence(evidence);
  const squash = (s) => s.replace(/\s+/g, "");
  const boxes = [...$("overlay").children];
  const hit = boxes.find((b) => squash(b.dataset.text).includes(squash(value)));
  if (!hit) return;
  hit.classList.add("hit");
  hit.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

// A small copy of the sent screenshot, so the preview and its boxes survive a reload in this browser
// without asking the server (which keeps the original: see showStoredPicture).
async function keepCopy(file, picture) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 720 / Math.max(bitmap.width, bitmap.height));
  const canvas = el("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  state.shot = { src: canvas.toDataURL("image/jpeg", 0.8), w: picture.w, h: picture.h };
}

// ---- the conversation

function say(text, kind, who) {
  $("empty").hidden = true;
  const item = el("li", `msg ${kind}`);
  const name = who || (kind === "user" ? t("you") : t("bot"));
  item.append(el("span", kind === "agent" ? "who" : "who visually-hidden", name), el("p", "text", text));
  $("log").append(item);
  toBottom();
  return item;
}

function toBottom() {
  $("log").scrollTop = $("log").scrollHeight;
}

function facts(fields = {}, evidence = []) {
  const found = [];
  const add = (label, value) => {
    const text = typeof value === "object" && value ? value.shown || value.code || value.value : value;
    if (text && !found.some((f) => f.value === String(text))) found.push({ label: t(label), value: String(text) });
  };
  for (const v of fields.order_ids || []) add("order", v);
  for (const v of fields.statuses || []) add("status", v);
  for (const v of fields.codes || []) add("code", v);
  for (const v of fields.amounts || []) add("amount", v);
  for (const v of fields.tracking_numbers || []) add("tracking", v);
  for (const v of fields.exceptions || []) add("exception", v);
  // The red warning text or the dialog is usually what the customer is asking about.
  const notices = evidence.filter((line) => line.cues?.some((c) => ["red_text", "dialog", "toast"].includes(c)));
  for (const line of notices.slice(0, 2)) add("notice", line.text);
  return found;
}

function finishAnswer(item, data) {
  const meta = state.meta[data.message_id] || {};
  const evidence = data.evidence || [];
  const found = facts(meta.fields || data.fields, evidence);
  if (found.length) {
    const saw = el("div", "saw");
    saw.append(el("span", "saw-label", t("saw")));
    for (const fact of found) {
      const button = el("button", "fact");
      button.type = "button";
      button.append(el("span", "fact-label", fact.label), " ", el("span", "fact-value", fact.value));
      button.addEventListener("click", () => highlight(evidence, fact.value));
      saw.append(button);
    }
    item.append(saw);
  }
  if (data.escalate) {
    const note = el("p", "handover", data.team ? t("handoverTeam", { team: data.team }) : t("handover"));
    note.setAttribute("role", "status");
    if (data.message_id) note.append(" · ", t("reference"), " ", el("code", "ref", data.message_id));
    item.append(note);
  }
  if (data.message_id) item.append(ratingButtons(data.message_id, meta.rating));
  item.addEventListener("focusin", () => showEvidence(evidence));
}

function ratingButtons(messageId, rated) {
  const row = el("div", "rate");
  const status = el("span", "thanks", rated ? t("thanks") : "");
  status.setAttribute("role", "status");
  for (const [rating, label] of [["up", "helpful"], ["down", "unhelpful"]]) {
    const button = el("button", `rate-${rating}`);
    button.type = "button";
    // An icon file, not an emoji: not every device (or a headless browser) has an emoji font.
    const icon = el("img");
    icon.src = new URL("thumb.svg", import.meta.url).href;
    icon.alt = "";
    button.append(icon);
    button.setAttribute("aria-label", t(label));
    button.setAttribute("aria-pressed", String(rated === rating));
    button.addEventListener("click", async () => {
      try {
        await api.feedback(state, messageId, rating);
      } catch (error) {
        status.textContent = t("error", { message: error.message });
        return;
      }
      for (const other of row.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button));
      status.textContent = t("thanks");
      state.meta[messageId] = { ...state.meta[messageId], rating };
      api.save(state);
    });
    row.append(button);
  }
  row.append(status);
  return row;
}

async function send(event) {
  event.preventDefault();
  const text = $("question").value.trim();
  if (!text || $("send").disabled) return;
  const image = pending;
  const picture = shown;
  const asked = say(text, "user");
  if (image) asked.append(el("span", "attached", t("attached")));
  $("question").value = "";
  $("send").disabled = true;
  const item = say("", "bot");
  const body = item.querySelector(".text");
  body.textContent = t("sending");
  item.setAttribute("aria-busy", "true");
  let streamed = "";
  try {
    const data = await api.ask(state, { text, image, sessionId: state.session }, (piece) => {
      streamed = piece === null ? "" : streamed + piece;
      body.textContent = streamed;
      toBottom();
    });
    body.textContent = data.answer;
    state.session = data.session_id;
    state.meta[data.message_id] = { fields: data.fields, evidence: data.evidence };
    if (image) {
      pending = null;
      await keepCopy(image, picture).catch(() => {});
    }
    finishAnswer(item, data);
    showEvidence(data.evidence);
    toBottom();
    api.save(state);
    listen();
  } catch (error) {
    item.className = "msg bot error";
    body.textContent = t("error", { message: error.message });
  } finally {
    item.removeAttribute("aria-busy");
    $("send").disabled = false;
    $("question").focus();
  }
}

async function restore() {
  if (!state.session) return;
  const found = await api.session(state, state.session).catch(() => null);
  if (!found) {
    Object.assign(state, { session: null, shot: null, meta: {} });
    return api.save(state);
  }
  let last = [];
  for (const message of found.messages) {
    if (message.role === "user") {
      const item = say(message.text, "user");
      if (message.image_digest) item.append(el("span", "attached", t("attached")));
    } else if (message.role === "agent") {
      showReply(message);
    } else {
      finishAnswer(say(message.text, "bot"), { ...message, message_id: message.id });
      last = message.evidence || [];
    }
  }
  toBottom();
  // The conversation first; the picture (perhaps fetched from the server) and its boxes after it.
  if (state.shot) showPicture(state.shot);
  else await showStoredPicture(found.messages);
  showEvidence(last);
  listen(found.messages.at(-1)?.id);
}

// ---- a person's replies (the operator inbox), arriving while the page is open

function showReply(message) {
  if (live.replies.has(message.id)) return;
  live.replies.add(message.id);
  const item = say(message.text, "agent", t("person", { name: message.agent_name || t("team") }));
  item.setAttribute("role", "status"); // read out by screen readers as it arrives
  if (message.image_digest) showReplyPicture(item, message.image_digest);
}

// A picture a person sent with their reply: fetched with this browser's token (the session's images are its own).
async function showReplyPicture(item, digest) {
  const blob = await api.screenshot(state, state.session, digest).catch(() => null);
  if (!blob) return;
  const picture = el("img", "reply-picture");
  picture.alt = t("replyPicture");
  picture.src = URL.createObjectURL(blob);
  item.append(picture);
}

// Long polling, one request at a time while the page has a session: each answer brings the messages written
// since the last one seen (the page's own turns among them, already shown). A new conversation starts afresh.
async function listen(cursor = null) {
  if (live.running) return;
  live.running = true;
  live.session = state.session;
  live.cursor = cursor;
  while (state.session) {
    if (live.session !== state.session) Object.assign(live, { session: state.session, cursor: null });
    const session = live.session;
    const found = await api.messages(state, session, live.cursor, 25).catch(() => undefined);
    if (found === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 5000)); // offline, or the server restarting
      continue;
    }
    if (found === null) break; // the session is gone (or no longer this browser's): nothing more will come
    if (session !== state.session) continue; // the customer started a new conversation meanwhile
    for (const message of found.messages) {
      if (message.role === "agent") {
        showReply(message);
        if (document.body.classList.contains("embed")) window.parent.postMessage({ snapdesk: "reply" }, "*");
      }
      live.cursor = message.id;
    }
  }
  live.running = false;
}

// No local copy (localStorage was full, or cleared but for the session): the session's last screenshot from
// the server, which answers only the browser (or key) that owns the session.
async function showStoredPicture(messages) {
  const sent = [...messages].reverse().find((m) => m.role === "user" && m.image_digest);
  if (!sent) return;
  const blob = await api.screenshot(state, state.session, sent.image_digest).catch(() => null);
  const bitmap = blob && (await createImageBitmap(blob).catch(() => null));
  if (!bitmap) return;
  showPicture({ src: URL.createObjectURL(blob), w: bitmap.width, h: bitmap.height });
  bitmap.close();
}

function newConversation() {
  Object.assign(state, { session: null, shot: null, meta: {} });
  api.save(state);
  clearPicture();
  $("log").replaceChildren($("empty"));
  $("empty").hidden = false;
  $("question").focus();
}

function firstImage(list) {
  return [...(list || [])].find((file) => file.type.startsWith("image/"));
}

function wire() {
  $("composer").addEventListener("submit", send);
  $("question").addEventListener("keydown", (event) => {
    // isComposing: Enter also confirms a Chinese input method's candidate, which must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("pick").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", () => {
    choose($("file").files[0]);
    $("file").value = "";
  });
  $("remove").addEventListener("click", () => {
    clearPicture();
    $("pick").focus();
  });
  $("new-chat").addEventListener("click", newConversation);
  document.addEventListener("paste", (event) => {
    const file = firstImage(event.clipboardData?.files);
    if (file) {
      event.preventDefault();
      choose(file);
    }
  });
  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    $("shot").classList.add("dragging");
  });
  document.addEventListener("dragleave", () => $("shot").classList.remove("dragging"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    $("shot").classList.remove("dragging");
    choose(firstImage(event.dataTransfer?.files));
  });
}

if (new URLSearchParams(location.search).has("embed")) document.body.classList.add("embed");
translatePage();
wire();
restore();
document.body.dataset.ready = "true"; // handlers are attached: what an embedding page (or a test) can wait for
