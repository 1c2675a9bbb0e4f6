// The operators' console: sign-in, tabs, conversations with their screenshots, the hand-over queue.
// Charts live in admin-charts.js, the knowledge base and the "try it" box in admin-kb.js.
import { adminKey, api, ApiError, el, imageURL, keyValues, passageList, screenshot, timingBars, when } from "./admin-dom.js";
import { showCharts } from "./admin-charts.js";
import { setUpTry, showKnowledgeBase } from "./admin-kb.js";
import { errorText, named, t, translatePage } from "./admin-i18n.js";

const $ = (id) => document.getElementById(id);
const tabs = { conversations: showConversations, handovers: showHandovers, charts: showCharts, kb: showKnowledgeBase, try: () => {} };
let current = "conversations";

function signedIn(yes) {
  $("login").hidden = yes;
  $("tabs").hidden = !yes;
  $("logout").hidden = !yes;
  for (const section of document.querySelectorAll(".tab")) section.hidden = !yes || section.id !== current;
}

async function open(tab) {
  current = tab;
  for (const button of $("tabs").querySelectorAll("button")) {
    if (button.dataset.tab === tab) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll(".tab")) section.hidden = section.id !== tab;
  try {
    await tabs[tab]();
  } catch (error) {
    failed(error);
  }
}

// A key revoked mid-session sends the operator back to sign in; other errors are shown where they happened.
function failed(error) {
  if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
    adminKey.clear();
    signedIn(false);
    $("login-error").textContent = errorText(error);
    return;
  }
  const section = $(current);
  section.prepend(el("p", { class: "error", role: "alert" }, errorText(error)));
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  adminKey.set($("key").value.trim());
  $("login-error").textContent = "";
  try {
    await api("admin/handovers?limit=1"); // the key must be an admin key: 403 otherwise
    $("key").value = "";
    signedIn(true);
    await open(current);
  } catch (error) {
    adminKey.clear();
    $("login-error").textContent = errorText(error);
  }
});

$("logout").addEventListener("click", () => {
  adminKey.clear();
  signedIn(false);
});

$("tabs").addEventListener("click", (event) => {
  const tab = event.target.closest("button")?.dataset.tab;
  if (tab) open(tab);
});

// ---- conversations

$("filters").addEventListener("change", () => showConversations().catch(failed));
$("refresh").addEventListener("click", () => showConversations().catch(failed));

async function showConversations() {
  const form = new FormData($("filters"));
  const params = new URLSearchParams();
  for (const [name, value] of form) if (value) params.set(name, value);
  const { conversations, intents } = await api(`admin/conversations?${params}`);
  const select = $("filters").elements.intent;
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, t("any")), ...intents.map((i) => el("option", { value: i }, named("intent", i))));
  select.value = chosen;
  const rows = $("conversation-rows");
  rows.replaceChildren();
  if (!conversations.length) rows.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("noMatch"))));
  for (const c of conversations) {
    const row = el(
      "tr",
      { dataset: { id: c.id }, tabindex: 0, onclick: () => showConversation(c.id, row).catch(failed) },
      el("td", {}, when(c.updated_at), el("div", { class: "muted owner", title: c.owner }, c.owner)),
      el("td", {}, c.first_question, c.screenshots ? el("span", { class: "badge" }, t("screenshots", { n: c.screenshots })) : null),
      el("td", {}, c.intents.map((i) => named("intent", i)).join(", ")),
      el("td", {}, c.tiers.map((x) => named("tier", x)).join(", ")),
      el("td", {},
        c.escalated ? el("span", { class: "badge escalated" }, t("handedOver")) : null,
        c.negative_feedback ? el("span", { class: "badge down" }, t("thumbsDownCount", { n: c.negative_feedback })) : null),
    );
    row.addEventListener("keydown", (e) => e.key === "Enter" && row.click());
    rows.append(row);
  }
}

async function showConversation(id, row) {
  for (const r of $("conversation-rows").children) r.removeAttribute("aria-selected");
  row?.setAttribute("aria-selected", "true");
  const view = await api(`admin/conversations/${encodeURIComponent(id)}`);
  const panel = $("conversation");
  panel.hidden = false;
  panel.replaceChildren(
    el("h2", {}, t("conversation")),
    el("p", { class: "muted" }, `${view.id} · ${view.owner} · ${t("started", { time: when(view.created_at) })}`),
  );
  const messages = view.messages;
  messages.forEach((m, i) => {
    // A screenshot's boxes are on the answer that read it: the next assistant message.
    const answer = messages.slice(i + 1).find((n) => n.role === "assistant");
    panel.append(m.role === "user" ? question(m, answer) : reply(m));
  });
  for (const h of view.handovers) panel.append(el("div", { class: "card" }, el("h3", {}, t("handoverTo", { team: h.team || t("defaultTeam") })), handoverSummary(h)));
}

function question(m, answer) {
  return el(
    "section",
    { class: "message user" },
    el("span", { class: "who" }, t("customer")), el("span", { class: "muted" }, when(m.created_at)),
    m.status !== "ok" ? el("span", { class: "badge down" }, `${m.status}${m.error_code ? `: ${m.error_code}` : ""}`) : null,
    el("p", { class: "text" }, m.text),
    m.image_digest ? screenshot(imageURL(m.image_digest), answer?.evidence || [], t("customerShot")) : null,
  );
}

function reply(m) {
  return el(
    "section",
    { class: "message assistant" },
    el("span", { class: "who" }, "SnapDesk"), el("span", { class: "muted" }, when(m.created_at)), " ",
    el("span", { class: "badge", title: m.intent || "" }, named("intent", m.intent || "?")),
    el("span", { class: "badge", title: m.tier || "" }, named("tier", m.tier || "?")),
    m.cached ? el("span", { class: "badge" }, t("cached")) : null,
    m.escalate ? el("span", { class: "badge escalated" }, t("handedOverTo", { team: m.team || t("defaultShort") })) : null,
    m.feedback.map((f) => el("span", { class: `badge ${f.rating}`, title: f.comment || "" }, t(f.rating === "down" ? "thumbsDown" : "thumbsUp"), f.comment ? ` ${f.comment}` : "")),
    el("p", { class: "text" }, m.text),
    el("h3", {}, t("evidence")),
    m.evidence.length
      ? el("ul", {}, m.evidence.map((e) => el("li", {}, e.text, (e.cues || []).map((c) => el("span", { class: "badge" }, c)))))
      : el("p", { class: "muted" }, t("none")),
    el("h3", {}, t("fields")), keyValues(m.fields),
    el("h3", {}, t("passagesConsulted")), passageList(m.passages),
    el("h3", {}, t("timingsOf", { ms: m.latency_ms ?? "?" })), timingBars(m.timings),
  );
}

// ---- hand-overs

function handoverSummary(h) {
  const s = h.summary || {};
  return el(
    "div",
    {},
    el("p", { class: "muted" }, t("handoverLine", { time: when(h.created_at), intent: named("intent", s.intent || "?"), attempts: h.attempts }),
      h.last_error ? t("lastError", { error: h.last_error }) : ""),
    el("p", { class: "text" }, s.answer || ""),
    el("h3", {}, t("fields")), keyValues(s.fields),
    el("h3", {}, t("onScreenshot")),
    (s.evidence || []).length ? el("ul", {}, s.evidence.map((e) => el("li", {}, e))) : el("p", { class: "muted" }, t("none")),
    el("h3", {}, t("passages")),
    (s.passages || []).length ? el("ul", {}, s.passages.map((p) => el("li", {}, p))) : el("p", { class: "muted" }, t("none")),
  );
}

async function showHandovers() {
  const { handovers } = await api("admin/handovers?limit=200");
  const list = $("handover-list");
  list.replaceChildren();
  if (!handovers.length) list.append(el("li", { class: "muted" }, t("queueEmpty")));
  for (const h of handovers) {
    list.append(
      el("li", { class: "handover" },
        el("div", { class: "row-between" },
          el("h2", {}, h.team || t("defaultTeam")),
          el("button", { type: "button", onclick: () => openConversation(h.conversation_id) }, t("openConversation"))),
        handoverSummary(h)),
    );
  }
}

async function openConversation(id) {
  await open("conversations");
  const row = [...$("conversation-rows").children].find((r) => r.dataset.id === id);
  await showConversation(id, row).catch(failed);
}

translatePage();
for (const option of $("filters").elements.tier.options) if (option.value) option.textContent = named("tier", option.value);
setUpTry(failed);
signedIn(Boolean(adminKey.get()));
if (adminKey.get()) open(current);
