// A conversation's messages as the console shows them: the customer's (with the screenshot and the boxes the
// answer read), SnapDesk's answers (evidence, fields, passages, timings) and people's replies; hand-over summaries.
import { el, imageURL, keyValues, passageList, screenshot, timingBars, when } from "./admin-dom.js";
import { named, t } from "./admin-i18n.js";
import { testCaseButton } from "./admin-learning.js";

// Each message of a conversation, in order. A screenshot's boxes are on the answer that read it: the next one.
// `conversationId` given: each customer message offers "save as test case" (admin-learning.js).
export function messageList(messages, conversationId = null) {
  return messages.map((m, i) => {
    if (m.role === "agent") return personReply(m);
    if (m.role === "assistant") return reply(m);
    const section = question(m, messages.slice(i + 1).find((n) => n.role === "assistant"));
    if (conversationId) section.append(testCaseButton(conversationId, m.id));
    return section;
  });
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

export function reply(m) {
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

function personReply(m) {
  return el(
    "section",
    { class: "message agent" },
    el("span", { class: "who" }, m.agent_name || t("person")), el("span", { class: "muted" }, when(m.created_at)),
    el("p", { class: "text" }, m.text),
    m.image_digest ? screenshot(imageURL(m.image_digest), [], t("replyPicture")) : null,
  );
}

export function handoverSummary(h) {
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

