// The knowledge-base page (articles, passages, when it loaded, problems, reload) and the "try it" box.
import { api, el, keyValues, passageList, screenshot, timingBars, when } from "./admin-dom.js";

const $ = (id) => document.getElementById(id);

function render(kb) {
  $("kb-name").textContent = `Knowledge base: ${kb.name}`;
  $("kb-meta").replaceChildren(
    ...[
      ["Folder", kb.path || "(bundled demo)"],
      ["Language", kb.language],
      ["Version", kb.version],
      ["Loaded at", when(kb.loaded_at)],
      ["Articles", String(kb.articles.length)],
      ["Passages", String(kb.passage_count)],
      ["Teams", kb.teams.join(", ") || "–"],
    ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", { dataset: { field: k.toLowerCase().replace(/ /g, "-") } }, v)]),
  );
  $("kb-problems").replaceChildren(
    ...(kb.problems.length ? kb.problems.map((p) => el("li", {}, p)) : [el("li", { class: "muted" }, "none")]),
  );
  $("kb-articles").replaceChildren(
    ...kb.articles.map((a) =>
      el("details", { class: "article" },
        el("summary", {}, `${a.title} `, el("span", { class: "muted" }, `${a.source} · ${a.passages.length} passage(s)`)),
        a.passages.map((p) =>
          el("div", { class: "passage" },
            el("strong", {}, p.heading || "(intro)"),
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
  $("kb-status").textContent = "Reloading…";
  try {
    const kb = await api("admin/kb/reload", { method: "POST" });
    render(kb);
    $("kb-status").textContent = kb.reloaded
      ? `Reloaded at ${when(kb.loaded_at)}.`
      : `Reload failed, still serving the previous version: ${kb.last_error}`;
    $("kb-status").className = kb.reloaded ? "" : "error";
  } catch (error) {
    $("kb-status").textContent = error.message;
    $("kb-status").className = "error";
  } finally {
    button.disabled = false;
  }
});

// ---- try it

function stage(title, ...content) {
  return el("section", { class: "card stage", dataset: { stage: title.toLowerCase().split(" ")[0] } }, el("h2", {}, title), content);
}

function showResult(result, file) {
  const ocr = result.ocr;
  const hits = result.retrieval.hits;
  $("try-result").replaceChildren(
    stage("Intake", result.intake ? keyValues(result.intake) : el("p", { class: "muted" }, "no screenshot")),
    stage("OCR",
      ocr ? [
        el("p", {}, `Screen kind: ${ocr.screen}${ocr.dark ? " (dark)" : ""} · ${ocr.lines.length} line(s)`),
        file ? screenshot(URL.createObjectURL(file), ocr.lines, "Screenshot tried") : null,
        el("table", { class: "plain" },
          el("thead", {}, el("tr", {}, el("th", {}, "Text"), el("th", {}, "Cues"), el("th", {}, "Confidence"), el("th", {}, "Box"))),
          el("tbody", {}, ocr.lines.map((l) =>
            el("tr", {}, el("td", {}, l.text), el("td", {}, l.cues.map((c) => el("span", { class: "badge" }, c))),
              el("td", { class: "score" }, l.confidence), el("td", { class: "score" }, l.box.join(", ")))))),
      ] : el("p", { class: "muted" }, "no screenshot")),
    stage("Fields", el("p", {}, `Screen kind: ${result.screen || "–"}`), keyValues(result.fields)),
    stage("Intent", el("p", {}, el("span", { class: "badge" }, result.intent))),
    stage("Retrieval",
      el("p", { class: "muted" }, `Exact keys: ${result.retrieval.keys.join(", ") || "none"}`),
      hits.length
        ? el("table", { class: "plain" },
          el("thead", {}, el("tr", {}, el("th", {}, "Score"), el("th", {}, "Passage"), el("th", {}, "Keys matched"))),
          el("tbody", {}, hits.map((h) =>
            el("tr", {}, el("td", { class: "score" }, h.score), el("td", {}, `${h.article} › ${h.heading || "(intro)"}`,
              h.escalate_to ? el("span", { class: "badge escalated" }, `→ ${h.escalate_to}`) : null),
            el("td", {}, h.matched_keys.join(", "))))))
        : el("p", { class: "muted" }, "nothing retrieved")),
    stage("Answer",
      el("p", { class: "text" }, result.answer.text),
      result.answer.escalate ? el("p", {}, el("span", { class: "badge escalated" }, `handed over → ${result.answer.team || "default"}`)) : null,
      el("h3", {}, "Passages used"), passageList(result.answer.passages),
      el("p", { class: "muted" }, `engine ${result.answer.engine} · KB ${result.answer.kb_version} · ${result.answer.language}`)),
    stage("Timings",
      result.timings.perception_cached ? el("p", { class: "muted" }, "The OCR reading came from the cache (this screenshot was read before).") : null,
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
    $("try-result").replaceChildren(el("p", { class: "muted" }, "Running…"));
    try {
      showResult(await api("admin/try", { method: "POST", body }), file);
    } catch (error) {
      $("try-result").replaceChildren();
      $("try-error").textContent = error.message;
      if (error.status === 401 || error.status === 403) failed(error);
    } finally {
      button.disabled = false;
    }
  });
}
