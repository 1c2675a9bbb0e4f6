// Charts over time from GET /admin/stats, drawn as inline SVG by one small function (no chart library).
import { api, el, svg } from "./admin-dom.js";
import { named, t } from "./admin-i18n.js";

const $ = (id) => document.getElementById(id);
const COLORS = ["#1c64d8", "#e8590c", "#15803d", "#9333ea", "#b91c1c", "#0e7490"];
const W = 600;
const H = 190;
const PAD = { left: 46, right: 12, top: 10, bottom: 24 };

// A line chart: `labels` are the buckets' start times, each series has one value per bucket (null: no data,
// which breaks the line). Isolated points get a dot, so a single busy minute still shows.
export function lineChart(title, labels, series, { unit = "", percent = false } = {}) {
  const values = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
  const top = percent ? 1 : niceCeiling(Math.max(1, ...values));
  const x = (i) => PAD.left + (labels.length < 2 ? 0 : (i * (W - PAD.left - PAD.right)) / (labels.length - 1));
  const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const format = (v) => (percent ? `${Math.round(v * 100)}%` : `${+v.toFixed(1)}${unit}`);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, "data-points": values.length });
  for (const v of [0, top / 2, top]) {
    chart.append(
      svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "axis" }),
      svg("text", { x: PAD.left - 4, y: y(v) + 3, "text-anchor": "end", class: "tick" }, format(v)),
    );
  }
  const ticks = labels.length > 2 ? [0, Math.floor((labels.length - 1) / 2), labels.length - 1] : labels.map((_, i) => i);
  for (const i of ticks) {
    // The end labels hang inwards, so the chart's edges never clip them.
    const anchor = i === 0 ? "start" : i === labels.length - 1 ? "end" : "middle";
    chart.append(svg("text", { x: x(i), y: H - 6, "text-anchor": anchor, class: "tick" }, shortTime(labels[i])));
  }
  series.forEach((s, n) => {
    const color = s.color || COLORS[n % COLORS.length];
    let run = [];
    const flush = () => {
      if (run.length > 1) chart.append(svg("polyline", { points: run.join(" "), fill: "none", stroke: color, "stroke-width": 2, class: "series" }));
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return flush();
      run.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      const alone = (s.values[i - 1] ?? null) === null && (s.values[i + 1] ?? null) === null;
      if (alone || v > 0) {
        chart.append(svg("circle", { cx: x(i), cy: y(v), r: alone ? 3 : 2, fill: color },
          svg("title", {}, `${s.name} ${shortTime(labels[i])}: ${format(v)}`)));
      }
    });
    flush();
  });
  const legend = el("div", { class: "legend" },
    series.map((s, n) => el("span", { style: `--swatch:${s.color || COLORS[n % COLORS.length]}` }, s.name)));
  return el("div", { class: "chart" }, el("h3", {}, title), chart, legend);
}

function niceCeiling(v) {
  const magnitude = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((c) => c >= v);
}

function shortTime(iso) {
  const d = new Date(iso);
  return d.toLocaleString([], { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

$("chart-range").addEventListener("change", () => showCharts().catch(() => {}));
$("chart-refresh").addEventListener("click", () => showCharts().catch(() => {}));

export async function showCharts() {
  const form = $("chart-range").elements;
  const [bucket, hours] = form.range.value.split(":");
  const stats = await api(`admin/stats?bucket=${bucket}&hours=${hours}`);
  const b = stats.buckets;
  const labels = b.map((x) => x.start);
  const stages = Object.keys(stats.totals.latency_ms);
  const stage = stages.includes(form.stage.value) ? form.stage.value : "request";
  form.stage.replaceChildren(...["request", ...stages.filter((s) => s !== "request")].map((s) => el("option", { value: s }, named("stage", s))));
  form.stage.value = stage;
  const tiers = Object.keys(stats.totals.tiers);
  const total = stats.totals;
  $("chart-totals").textContent = t("totals", {
    requests: total.requests,
    failed: total.failed,
    answers: total.answers,
    rate: total.cache_hit_rate === null ? "–" : Math.round(total.cache_hit_rate * 100) + "%",
    escalations: total.escalations,
    up: total.feedback.up ?? 0,
    down: total.feedback.down ?? 0,
  });
  const latency = (q) => b.map((x) => x.latency_ms[stage]?.[q] ?? null);
  $("chart-grid").replaceChildren(
    lineChart(t("chartRequests"), labels, [
      { name: t("seriesRequests"), values: b.map((x) => x.requests) },
      { name: t("seriesFailed"), values: b.map((x) => x.failed), color: COLORS[4] },
    ]),
    lineChart(t("chartLatency", { stage: named("stage", stage) }), labels, [
      { name: "p50", values: latency("p50") },
      { name: "p95", values: latency("p95"), color: COLORS[1] },
    ], { unit: "" }),
    lineChart(t("chartCache"), labels, [{ name: t("seriesCache"), values: b.map((x) => x.cache_hit_rate) }], { percent: true }),
    lineChart(t("chartTiers"), labels, tiers.map((tier) => ({ name: named("tier", tier), values: b.map((x) => x.tiers[tier] ?? 0) }))),
    lineChart(t("chartEscalation"), labels, [{ name: t("handedOver"), values: b.map((x) => x.escalation_rate), color: COLORS[1] }], { percent: true }),
    lineChart(t("chartFeedback"), labels, [
      { name: t("thumbsUp"), values: b.map((x) => x.feedback.up ?? 0), color: COLORS[2] },
      { name: t("thumbsDown"), values: b.map((x) => x.feedback.down ?? 0), color: COLORS[4] },
    ]),
    peopleTimes(stats.teams),
  );
}

// How long customers waited for people, per team: p50 / p90 from the hand-over to a first reply and to resolution.
function peopleTimes(teams) {
  const wait = (w) => (w.n ? `${duration(w.p50)} / ${duration(w.p90)} (${w.n})` : "–");
  return el("div", { class: "chart", id: "people-times" },
    el("h3", {}, t("chartPeople")),
    teams.length
      ? el("table", { class: "plain" },
        el("thead", {}, el("tr", {}, el("th", {}, t("colTeam")), el("th", {}, t("colCases")), el("th", {}, t("colFirstReply")), el("th", {}, t("colResolve")))),
        el("tbody", {}, teams.map((row) => el("tr", {},
          el("td", {}, row.team || t("defaultTeam")), el("td", {}, String(row.cases)),
          el("td", {}, wait(row.first_reply)), el("td", {}, wait(row.resolve))))))
      : el("p", { class: "muted" }, t("noCasesInRange")));
}

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
