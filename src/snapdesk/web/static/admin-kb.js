// The knowledge-base page (articles, passages, when it loaded, problems, reload) and the "try it" box.
import { api, el, keyValues, passageList, screenshot, timingBars, when } from "./admin-dom.js";
import { errorText, named, t } from "./admin-i18n.js";

const $ = (id) => document.getElementById(id);

function render(kb) {
  $("kb-name").textContent = t("kbNamed", { name: kb.name });
  $("kb-meta").replaceChildren(
    ...[
      ["folder", "kbFolder", kb.path || t("kbBundled")],
      ["language", "kbLanguage", kb.language],
      ["version", "kbVersion", kb.version],
      ["loaded-at", "kbLoaded", when(kb.loaded_at)],
      ["articles", "kbArticles", String(kb.articles.length)],
      ["passages", "kbPassages", String(kb.passage_count)],
      ["teams", "kbTeams", kb.teams.join(", ") || "–"],
    ].flatMap(([field, label, v]) => [el("dt", {}, t(label)), el("dd", { dataset: { field } }, v)]),
  );
  $("kb-problems").replaceChildren(
    ...(kb.problems.length ? kb.problems.map((p) => el("li", {}, p)) : [el("li", { class: "muted" }, t("none"))]),
  );
  $("kb-articles").replaceChildren(
    ...kb.articles.map((a) =>
      el("details", { class: "article" },
        el("summary", {}, `${a.title} `, el("span", { class: "muted" }, t("passageCount", { source: a.source, n: a.passages.length }))),
        a.passages.map((p) =>
          el("div", { class: "passage" },
            el("strong", {}, p.heading || t("intro")),
            p.escalate_to ? el("span", { class: "badge escalated" }, `→ ${p.escalate_to}`) : null,
            el("div", { class: "text" }, p.text))),
      ),
    ),
  );
}

export async function showKnowledgeBase() {
  render(await api("admin/kb"));
}

$("kb-reload").addEventListener("click", async () => {
  const button = $("kb-reload");
  button.disabled = true;
  $("kb-status").textContent = t("reloading");
  try {
    const kb = await api("admin/kb/reload", { method: "POST" });
    render(kb);
    $("kb-status").textContent = kb.reloaded
      ? t("reloadedAt", { time: when(kb.loaded_at) })
      : t("reloadFailed", { error: kb.last_error });
    $("kb-status").className = kb.reloaded ? "" : "error";
  } catch (error) {
    $("kb-status").textContent = errorText(error);
    $("kb-status").className = "error";
  } finally {
    button.disabled = false;
  }
});

// ---- try it

// `name` is the stage's id (data-stage, stable for tests and styles); its heading is the translated title.
function stage(name, title, ...content) {
  return el("section", { class: "card stage", dataset: { stage: name } }, el("h2", {}, title), content);
}

function showResult(result, file) {
  const ocr = result.ocr;
  const hits = result.retrieval.hits;
  $("try-result").replaceChildren(
    stage("intake", t("stageIntake"), result.intake ? keyValues(result.intake) : el("p", { class: "muted" }, t("noScreenshot"))),
    stage("ocr", t("stageOcr"),
      ocr ? [
        el("p", {}, t("screenKindLines", { screen: ocr.screen, dark: ocr.dark ? t("dark") : "", n: ocr.lines.length })),
        file ? screenshot(URL.createObjectURL(file), ocr.lines, t("screenshotTried")) : null,
        el("table", { class: "plain" },
          el("thead", {}, el("tr", {}, el("th", {}, t("colText")), el("th", {}, t("colCues")), el("th", {}, t("colConfidence")),
            el("th", {}, t("colBox")))),
          el("tbody", {}, ocr.lines.map((l) =>
            el("tr", {}, el("td", {}, l.text), el("td", {}, l.cues.map((c) => el("span", { class: "badge" }, c))),
              el("td", { class: "score" }, l.confidence), el("td", { class: "score" }, l.box.join(", ")))))),
      ] : el("p", { class: "muted" }, t("noScreenshot"))),
    stage("fields", t("stageFields"), el("p", {}, t("screenKind", { screen: result.screen || "–" })), keyValues(result.fields)),
    stage("intent", t("stageIntent"), el("p", {}, el("span", { class: "badge" }, result.intent),
      named("intent", result.intent) !== result.intent ? ` ${named("intent", result.intent)}` : null)),
    stage("retrieval", t("stageRetrieval"),
      el("p", { class: "muted" }, t("exactKeys", { keys: result.retrieval.keys.join(", ") || t("none") })),
      hits.length
        ? el("table", { class: "plain" },
          el("thead", {}, el("tr", {}, el("th", {}, t("colScore")), el("th", {}, t("colPassage")), el("th", {}, t("colKeys")))),
          el("tbody", {}, hits.map((h) =>
            el("tr", {}, el("td", { class: "score" }, h.score), el("td", {}, `${h.article} › ${h.heading || t("intro")}`,
              h.escalate_to ? el("span", { class: "badge escalated" }, `→ ${h.escalate_to}`) : null),
            el("td", {}, h.matched_keys.join(", "))))))
        : el("p", { class: "muted" }, t("nothingRetrieved"))),
    stage("answer", t("stageAnswer"),
      el("p", { class: "text" }, result.answer.text),
      result.answer.escalate ? el("p", {}, el("span", { class: "badge escalated" }, t("handedOverTo", { team: result.answer.team || t("defaultShort") }))) : null,
      el("h3", {}, t("passagesUsed")), passageList(result.answer.passages),
      el("p", { class: "muted" },
        t("answerMeta", { engine: result.answer.engine, kb: result.answer.kb_version, language: result.answer.language }))),
    stage("timings", t("stageTimings"),
      result.timings.perception_cached ? el("p", { class: "muted" }, t("ocrCached")) : null,
      timingBars(result.timings)),
  );
}

export function setUpTry(failed) {
  $("try-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = $("try-form");
    const button = form.querySelector("button");
    const file = form.elements.image.files[0];
    const body = new FormData();
    body.set("text", form.elements.text.value);
    if (file) body.set("image", file);
    button.disabled = true;
    $("try-error").textContent = "";
    $("try-result").replaceChildren(el("p", { class: "muted" }, t("running")));
    try {
      showResult(await api("admin/try", { method: "POST", body }), file);
    } catch (error) {
      $("try-result").replaceChildren();
      $("try-error").textContent = errorText(error);
      if (error.status === 401 || error.status === 403) failed(error);
    } finally {
      button.disabled = false;
    }
  });
}
