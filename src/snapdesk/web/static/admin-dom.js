// Shared by the console's modules: building DOM from data (text only, never HTML), the admin API, screenshots.
// Everything a screenshot or a customer wrote is untrusted: it reaches the page through text nodes alone.
import { errorText, named, t } from "./admin-i18n.js";

const BASE = new URL("../", import.meta.url);
const KEY = "snapdesk.admin.key";
const SVG = "http://www.w3.org/2000/svg";

export const adminKey = {
  get: () => sessionStorage.getItem(KEY) || "",
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

// el("p", { class: "x", title: "t", onclick: fn }, "text", child, [more]) — strings become text nodes.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  append(node, children);
  return node;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A call to the admin API with the key; JSON back, or an ApiError carrying the service's own message.
export async function api(path, { method = "GET", body, json, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${adminKey.get()}` };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(new URL(path, BASE), {
    method,
    body: json !== undefined ? JSON.stringify(json) : body,
    headers,
  });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = (await response.json()).error?.message || message;
    } catch { /* not JSON: keep the status */ }
    throw new ApiError(response.status, message);
  }
  return raw ? response : response.json();
}

// Stored screenshots need the Authorization header, which <img src> cannot send: fetched, kept as blob URLs.
const images = new Map();
export function imageURL(digest) {
  if (!images.has(digest)) {
    images.set(
      digest,
      api(`admin/images/${encodeURIComponent(digest)}`, { raw: true })
        .then((r) => r.blob())
        .then((blob) => URL.createObjectURL(blob))
        .catch((error) => {
          images.delete(digest);
          throw error;
        }),
    );
  }
  return images.get(digest);
}

// A screenshot with its OCR boxes drawn over it. The SVG's viewBox is the image's own pixel grid, so boxes in
// original-image pixels land in place at whatever size the page shows the picture.
export function screenshot(source, lines, label = t("screenshot")) {
  const img = el("img", { alt: label });
  const overlay = svg("svg", { preserveAspectRatio: "none", "aria-hidden": "true" });
  const figure = el("figure", { class: "shot" }, img, overlay);
  img.addEventListener("load", () => {
    overlay.setAttribute("viewBox", `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
  });
  for (const line of lines || []) {
    if (!Array.isArray(line.box) || line.box.length !== 4) continue;
    const [x0, y0, x1, y1] = line.box.map(Number);
    const salient = (line.cues || []).length > 0;
    overlay.append(
      svg("rect", { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0), class: salient ? "salient" : "" },
        svg("title", {}, line.text || "")),
    );
  }
  const show = (url) => { img.src = url; };
  if (source instanceof Promise) {
    source.then(show, (error) => figure.replaceWith(el("p", { class: "error" }, t("screenshotUnavailable", { message: errorText(error) }))));
  } else {
    show(source);
  }
  return figure;
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

// A definition list of an object's entries; values that are objects are shown as indented JSON text.
export function keyValues(object, className = "kv") {
  const entries = Object.entries(object || {}).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && !v.length));
  if (!entries.length) return el("p", { class: "muted" }, t("none"));
  return el(
    "dl",
    { class: className },
    entries.map(([k, v]) => [el("dt", {}, k), el("dd", {}, typeof v === "object" ? el("pre", {}, JSON.stringify(v, null, 1)) : String(v))]),
  );
}

export function passageList(passages) {
  if (!passages || !passages.length) return el("p", { class: "muted" }, t("noPassage"));
  return el(
    "ol",
    { class: "passages" },
    passages.map((p) =>
      el("li", {},
        el("strong", {}, `${p.article || ""} › ${p.heading || t("intro")}`), " ",
        p.score !== undefined ? el("span", { class: "score" }, t("score", { score: p.score })) : null,
        p.escalate_to ? el("span", { class: "badge escalated" }, `→ ${p.escalate_to}`) : null,
        p.text ? el("div", { class: "muted" }, p.text) : null),
    ),
  );
}

export function timingBars(timings) {
  const stages = Object.entries(timings || {}).filter(([k, v]) => k.endsWith("_ms") && typeof v === "number");
  if (!stages.length) return el("p", { class: "muted" }, t("noTimings"));
  const longest = Math.max(...stages.map(([, v]) => v), 1);
  return el(
    "div",
    { class: "bars" },
    stages.map(([k, v]) => [
      el("span", {}, named("stage", k.replace(/_ms$/, ""))),
      el("div", { class: "bar", style: `width:${(100 * v) / longest}%` }),
      el("span", { class: "score" }, `${v.toFixed(1)} ms`),
    ]),
  );
}
