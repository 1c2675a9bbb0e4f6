// The operators' console: sign-in (an admin key, or an agent's: the inbox and conversations only), tabs, and
// conversations with their screenshots. The inbox lives in admin-inbox.js, charts in admin-charts.js, the
// knowledge base and the "try it" box in admin-kb.js.
import { adminKey, api, ApiError, el, when } from "./admin-dom.js";
import { showCharts } from "./admin-charts.js";
import { setUpInbox, showInbox } from "./admin-inbox.js";
import { setUpTry, showKnowledgeBase } from "./admin-kb.js";
import { handoverSummary, messageList } from "./admin-messages.js";
import { errorText, named, t, translatePage } from "./admin-i18n.js";

const $ = (id) => document.getElementById(id);
const tabs = { inbox: showInbox, conversations: showConversations, charts: showCharts, kb: showKnowledgeBase, try: () => {} };
const FOR_AGENTS = ["inbox", "conversations"];
let current = "inbox";

// Signed in as `operator` ({key_id, name, role}; null: signed out). An agent sees the tabs agents may use.
function signedIn(operator) {
  $("login").hidden = Boolean(operator);
  $("tabs").hidden = !operator;
  $("logout").hidden = !operator;
  $("who").textContent = operator ? `${operator.name} (${t(`role_${operator.role}`)})` : "";
  for (const button of $("tabs").querySelectorAll("button")) {
    button.hidden = operator?.role === "agent" && !FOR_AGENTS.includes(button.dataset.tab);
  }
  for (const section of document.querySelectorAll(".tab")) section.hidden = !operator || section.id !== current;
}

async function signIn() {
  const operator = await api("admin/me"); // an admin or agent key, else 401/403
  setUpInbox(operator, failed);
  signedIn(operator);
  await open(current);
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
    signedIn(null);
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
    await signIn();
    $("key").value = "";
  } catch (error) {
    adminKey.clear();
    $("login-error").textContent = errorText(error);
  }
});

$("logout").addEventListener("click", () => {
  adminKey.clear();
  location.reload(); // nothing of the signed-out operator's stays on the page (the inbox's timer included)
});

$("tabs").addEventListener("click", (event) => {
  const tab = event.target.closest("button")?.dataset.tab;
  if (tab) open(tab);
});

// ---- conversations

$("filters").addEventListener("change", () => showConversations().catch(failed));
$("refresh").addEventListener("click", () => showConversations().catch(failed));

let listed = 0; // the latest showConversations call: an answer to an earlier filter must not replace its list

async function showConversations() {
  const form = new FormData($("filters"));
  const params = new URLSearchParams();
  for (const [name, value] of form) if (value) params.set(name, value);
  const mine = ++listed;
  const { conversations, intents } = await api(`admin/conversations?${params}`);
  if (mine !== listed) return;
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
  panel.append(...messageList(view.messages, view.id));
  for (const h of view.handovers) panel.append(el("div", { class: "card" }, el("h3", {}, t("handoverTo", { team: h.team || t("defaultTeam") })), handoverSummary(h)));
}

translatePage();
for (const option of $("filters").elements.tier.options) if (option.value) option.textContent = named("tier", option.value);
setUpTry(failed);
signedIn(null);
if (adminKey.get()) signIn().catch(failed);
