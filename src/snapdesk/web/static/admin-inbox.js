// The operator inbox: hand-overs as cases. A person claims one (one holder at a time, across replicas), replies in
// the customer's conversation and resolves it. The case on screen is looked at again every few seconds, so the
// customer's new messages appear without a reload; the reply being typed is left alone.
import { api, el, when } from "./admin-dom.js";
import { draftButton } from "./admin-learning.js";
import { messageList } from "./admin-messages.js";
import { errorText, named, t } from "./admin-i18n.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 3000;
const shown = { id: null, last: null, state: null }; // the case on screen: its id, last message, state
let me = { key_id: "", role: "agent" };
let failed = () => {};

let wired = false;

export function setUpInbox(operator, onFailure) {
  me = operator;
  document.body.dataset.role = operator.role; // what an agent may not do (accept a passage, save a case) is hidden
  if (wired) return; // signed in again after a refusal: the listeners and the timer are there already
  wired = true;
  failed = onFailure;
  $("inbox-filters").addEventListener("change", () => showInbox().catch(failed));
  $("inbox-refresh").addEventListener("click", () => showInbox().catch(failed));
  setInterval(() => {
    if (!$("inbox").hidden && document.visibilityState === "visible") refresh().catch(() => {});
  }, REFRESH_MS);
}

let asked = 0; // the latest showInbox call: an earlier one answered late must not replace its list

export async function showInbox() {
  const form = new FormData($("inbox-filters"));
  const query = new URLSearchParams({ view: form.get("view") });
  if (form.get("order")) query.set("order", form.get("order"));
  const mine = ++asked;
  const inbox = await api(`admin/inbox?${query}`);
  if (mine !== asked) return;
  $("inbox-teams").replaceChildren(
    t("openPerTeam"), " ",
    ...inbox.open_per_team.map((c) => el("span", { class: "badge" }, `${c.team || t("defaultShort")} ${c.open}`)),
  );
  const list = $("case-list");
  list.replaceChildren(...inbox.cases.map(caseItem));
  if (!inbox.cases.length) list.append(el("li", { class: "muted" }, t("noCases")));
}

function caseItem(c) {
  const holder = c.claimed_by_name ? ` · ${t("heldBy", { name: c.claimed_by_name })}` : "";
  return el(
    "li",
    { class: "case-item", dataset: { id: c.id }, "aria-current": c.id === shown.id ? "true" : null },
    el("button", { type: "button", onclick: () => showCase(c.id).catch(failed) },
      el("strong", {}, c.team || t("defaultTeam")), " ",
      el("span", { class: `badge state-${c.state}` }, t(`state_${c.state}`)),
      el("div", { class: "muted" }, t("waitingSince", { time: when(c.created_at) }), holder),
      el("div", { class: "snippet" }, c.summary?.answer || "")),
  );
}

async function showCase(id) {
  Object.assign(shown, { id, last: null, state: null });
  for (const item of $("case-list").children) item.toggleAttribute("aria-current", item.dataset.id === id);
  $("case").hidden = false;
  $("case").replaceChildren(
    el("div", { id: "case-head" }), el("div", { id: "case-actions", class: "actions" }),
    el("p", { id: "case-status", class: "error", role: "alert" }),
    el("div", { id: "case-conversation" }), el("div", { id: "case-reply" }),
  );
  await refresh();
}

async function refresh() {
  const id = shown.id;
  if (!id) return;
  const view = await api(`admin/inbox/${encodeURIComponent(id)}`);
  if (id !== shown.id) return; // another case was opened meanwhile: this answer is not the one on screen
  const last = view.messages.at(-1)?.id || null;
  if (last !== shown.last) {
    $("case-conversation").replaceChildren(el("h3", {}, t("conversation")), ...messageList(view.messages, view.conversation_id));
    shown.last = last;
  }
  const holder = view.state === "claimed" ? view.claimed_by : null;
  const key = `${view.state}:${holder}`;
  if (key === shown.state) return;
  shown.state = key;
  $("case-head").replaceChildren(
    el("h2", {}, view.team || t("defaultTeam"), " ", el("span", { class: `badge state-${view.state}` }, t(`state_${view.state}`))),
    el("p", { class: "muted" },
      t("waitingSince", { time: when(view.created_at) }),
      view.claimed_by_name ? ` · ${t("heldBy", { name: view.claimed_by_name })}` : "",
      view.summary?.intent ? ` · ${named("intent", view.summary.intent)}` : ""),
  );
  const mine = holder === me.key_id;
  const actions = [
    view.state === "open" && action("claim", "claim", view),
    (view.state === "open" || mine || (holder && me.role === "admin")) && action("resolve", "resolve", view),
  ];
  $("case-actions").replaceChildren(...actions.filter(Boolean)); // replaceChildren would write "null" as text
  $("case-reply").replaceChildren(...(mine ? [replyForm(view)] : []), ...(view.state === "resolved" ? [draftButton(view.id)] : []));
}

function action(name, label, view) {
  return el("button", { type: "button", class: name === "claim" ? "primary" : "", "data-action": name, onclick: () => change(view.id, name) }, t(label));
}

async function change(id, what, body) {
  $("case-status").textContent = "";
  try {
    const options = body ? { method: "POST", json: body } : { method: "POST" };
    await api(`admin/inbox/${encodeURIComponent(id)}/${what}`, options);
  } catch (error) {
    $("case-status").textContent = errorText(error); // already claimed by someone else, resolved meanwhile…
  }
  shown.last = null; // show the case as it is now, whatever happened (a reply being typed stays while it is ours)
  if (what !== "reply") shown.state = null;
  await Promise.all([refresh(), showInbox()]).catch(failed);
}

function replyForm(view) {
  const text = el("textarea", { id: "reply-text", rows: 3, maxlength: 4000, required: true, "aria-label": t("replyLabel") });
  const picture = el("input", { id: "reply-picture", type: "file", accept: "image/png,image/jpeg,image/webp,image/gif,image/bmp" });
  const form = el("form", { class: "reply" }, el("label", { for: "reply-text" }, t("replyLabel")), text,
    el("label", { for: "reply-picture" }, t("replyPicture")), picture,
    el("button", { type: "submit", class: "primary" }, t("sendReply")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    const body = { text: text.value };
    if (picture.files[0]) body.image = await dataURL(picture.files[0]);
    await change(view.id, "reply", body);
    if (!$("case-status").textContent) {
      text.value = "";
      picture.value = "";
    }
  });
  return form;
}

function dataURL(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
