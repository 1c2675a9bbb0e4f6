// The learning loop in the console: a resolved case's replies drafted into a knowledge-base passage (a diff; an
// admin may edit it and accepts it, then the knowledge base reloads), and any customer message saved as a test
// case of the shop's regression set (facts ticked from what was read and what people answered).
import { api, el } from "./admin-dom.js";
import { errorText, t } from "./admin-i18n.js";

export function draftButton(caseId) {
  const box = el("div", { class: "learning" });
  const button = el("button", { type: "button", "data-action": "draft", onclick: () => showDraft(caseId, box) }, t("draftPassage"));
  box.append(button);
  return box;
}

async function showDraft(caseId, box) {
  const status = el("p", { class: "status", role: "status" });
  let draft;
  try {
    draft = await api(`admin/inbox/${encodeURIComponent(caseId)}/draft`, { method: "POST" });
  } catch (error) {
    box.replaceChildren(el("p", { class: "error", role: "alert" }, errorText(error)));
    return;
  }
  const section = el("textarea", { id: "draft-section", rows: 8, "aria-label": t("draftSection") });
  section.value = draft.section;
  const accept = el("button", { type: "button", class: "primary admin-only", "data-action": "accept" }, t("acceptPassage"));
  accept.addEventListener("click", async () => {
    try {
      const kb = await api("admin/kb/passages", { method: "POST", json: { file: draft.file, section: section.value } });
      status.textContent = t("passageAdded", { file: draft.file, count: kb.passage_count });
      accept.disabled = true;
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  box.replaceChildren(
    el("h3", {}, t("draftFor", { file: draft.file })),
    el("pre", { class: "diff" }, draft.diff.split("\n").map((line) => el("span", { class: diffClass(line) }, `${line}\n`))),
    el("label", { for: "draft-section" }, t("draftSection")), section,
    el("p", { class: "muted agent-only" }, t("adminAccepts")), accept, status,
  );
}

function diffClass(line) {
  if (line.startsWith("+") && !line.startsWith("+++")) return "added";
  if (line.startsWith("-") && !line.startsWith("---")) return "removed";
  return "";
}

export function testCaseButton(conversationId, messageId) {
  const box = el("div", { class: "learning admin-only" });
  box.append(el("button", { type: "button", "data-action": "test-case", onclick: () => showTestCase(conversationId, messageId, box) }, t("saveTestCase")));
  return box;
}

async function showTestCase(conversationId, messageId, box) {
  let offer;
  try {
    offer = await api(`admin/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/test-case`);
  } catch (error) {
    box.replaceChildren(el("p", { class: "error", role: "alert" }, errorText(error)));
    return;
  }
  const facts = offer.facts.map((fact) => el("label", { class: "fact" }, el("input", { type: "checkbox", value: fact }), " ", fact));
  const escalate = el("select", { name: "escalate" },
    el("option", { value: "false", selected: !offer.escalate }, t("expectAnswer")),
    el("option", { value: "true", selected: offer.escalate }, t("expectHandover")));
  const status = el("p", { class: "status", role: "status" });
  const form = el("form", { class: "test-case" },
    el("h3", {}, t("testCaseFor", { id: offer.case_id })),
    el("p", { class: "muted" }, t("tickFacts")), ...facts, escalate,
    el("button", { type: "submit", class: "primary" }, t("saveCase")), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = [...form.querySelectorAll("input:checked")].map((box) => box.value);
    if (!chosen.length) return void (status.textContent = t("tickOne"));
    const body = { conversation_id: conversationId, message_id: messageId, facts: chosen, escalate: escalate.value === "true" };
    if (offer.intent) body.intent = offer.intent;
    try {
      const saved = await api("admin/test-cases", { method: "POST", json: body });
      status.textContent = t("caseSaved", { id: saved.case.id, set: saved.set });
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  box.replaceChildren(form);
}
