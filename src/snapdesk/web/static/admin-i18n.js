// The console's strings in English and Chinese, on i18n.js's mechanism: the browser's language picks one
// (zh-* Chinese, anything else English). Each entry is [English, 中文]. Values sent to the API never go
// through here; only what the page shows does.
import { lang, translatePage as translateMarkup, translator } from "./i18n.js";

const PAIRS = {
  title: ["SnapDesk console", "SnapDesk 客服后台"],
  sections: ["Console sections", "后台栏目"],
  tabConversations: ["Conversations", "会话"],
  tabInbox: ["Inbox", "工单"],
  tabCharts: ["Charts", "统计图表"],
  tabKb: ["Knowledge base", "知识库"],
  tabTry: ["Try it", "试一试"],
  signOut: ["Sign out", "退出登录"],
  signIn: ["Sign in", "登录"],
  loginNeeds: ["The console needs an admin key or an agent's key:", "登录后台需要管理员密钥或客服密钥："],
  loginKept: [". It is kept in this tab only (sessionStorage).", "。密钥只保存在当前标签页（sessionStorage），关闭即失效。"],
  adminKey: ["API key", "API 密钥"],
  role_admin: ["admin", "管理员"],
  role_agent: ["agent", "客服"],
  // conversations
  filterEscalated: ["Hand-over", "转人工"],
  filterNegative: ["Feedback", "评价"],
  filterIntent: ["Intent", "意图"],
  filterTier: ["Tier", "档位"],
  any: ["any", "全部"],
  handedOver: ["handed over", "已转人工"],
  notHandedOver: ["not handed over", "未转人工"],
  thumbsDown: ["thumbs-down", "差评"],
  thumbsUp: ["thumbs-up", "好评"],
  hasThumbsDown: ["thumbs-down", "有差评"],
  noThumbsDown: ["no thumbs-down", "无差评"],
  refresh: ["Refresh", "刷新"],
  conversationList: ["Conversations", "会话列表"],
  colLast: ["Last activity", "最近活动"],
  colQuestion: ["Question", "问题"],
  colIntent: ["Intent", "意图"],
  colTier: ["Tier", "档位"],
  colFlags: ["Flags", "标记"],
  noMatch: ["No conversation matches.", "没有符合条件的会话。"],
  screenshots: ["{n} screenshot(s)", "{n} 张截图"],
  thumbsDownCount: ["thumbs-down ×{n}", "差评 ×{n}"],
  conversation: ["Conversation", "会话详情"],
  started: ["started {time}", "开始于 {time}"],
  handoverTo: ["Hand-over to {team}", "转人工：{team}"],
  defaultTeam: ["default team", "默认组"],
  defaultShort: ["default", "默认组"],
  customer: ["Customer", "顾客"],
  customerShot: ["Customer screenshot", "顾客截图"],
  cached: ["cached", "缓存命中"],
  handedOverTo: ["handed over → {team}", "已转人工 → {team}"],
  evidence: ["Evidence (OCR lines)", "依据（识别出的文字行）"],
  none: ["none", "无"],
  fields: ["Fields", "提取的字段"],
  passagesConsulted: ["Passages consulted", "参考的知识库段落"],
  timingsOf: ["Timings (request {ms} ms)", "耗时（整次请求 {ms} 毫秒）"],
  // the inbox
  view: ["View", "视图"],
  viewOpen: ["open", "待认领"],
  viewMine: ["mine", "我的"],
  viewResolved: ["resolved", "已解决"],
  order: ["Order", "排序"],
  orderDefault: ["default", "默认"],
  orderWaiting: ["longest waiting first", "等待最久的在前"],
  orderNewest: ["newest first", "最新的在前"],
  caseList: ["Cases", "工单列表"],
  openPerTeam: ["Open per team:", "各组待认领："],
  noCases: ["No cases here.", "这里没有工单。"],
  state_open: ["open", "待认领"],
  state_claimed: ["claimed", "处理中"],
  state_resolved: ["resolved", "已解决"],
  waitingSince: ["waiting since {time}", "{time} 起等待"],
  heldBy: ["held by {name}", "由 {name} 处理"],
  claim: ["Claim", "认领"],
  resolve: ["Resolve", "标记解决"],
  replyLabel: ["Reply to the customer (shown as text, as written)", "回复客户（按原文以纯文本显示）"],
  sendReply: ["Send reply", "发送回复"],
  replyPicture: ["A picture with the reply (optional)", "随回复发送的图片（可选）"],
  person: ["support team", "人工客服"],
  chartPeople: ["People: time to first reply and to resolve (p50 / p90, cases)", "人工客服：首次回复与解决用时（中位数 / 90 分位，工单数）"],
  colTeam: ["Team", "团队"],
  colCases: ["Handed over", "转人工"],
  colFirstReply: ["First reply", "首次回复"],
  colResolve: ["Resolved", "解决"],
  noCasesInRange: ["No hand-overs in this range.", "这段时间没有转人工。"],
  // the learning loop
  draftPassage: ["Draft a knowledge-base passage from this case", "用这个工单起草知识库段落"],
  draftFor: ["Draft: what accepting adds to {file}", "草稿：接受后将追加到 {file}"],
  draftSection: ["The passage (edit before accepting)", "段落内容（接受前可修改）"],
  acceptPassage: ["Accept and add to the knowledge base", "接受并加入知识库"],
  adminAccepts: ["An admin accepts drafts into the knowledge base.", "草稿由管理员确认后加入知识库。"],
  passageAdded: ["Added to {file}; the knowledge base reloaded ({count} passages).", "已追加到 {file}，知识库已重新加载（共 {count} 段）。"],
  saveTestCase: ["Save as test case", "保存为测试用例"],
  testCaseFor: ["Test case {id}", "测试用例 {id}"],
  tickFacts: ["Tick what the answer must say (each is checked in its first 300 characters):", "勾选回答必须包含的内容（在回答前 300 字内检查）："],
  tickOne: ["Tick at least one fact.", "请至少勾选一项。"],
  expectAnswer: ["expected: answered by the assistant", "期望：由助手直接回答"],
  expectHandover: ["expected: handed over to a person", "期望：转人工"],
  saveCase: ["Save the test case", "保存测试用例"],
  caseSaved: ["Saved as {id} in {set}: snapdesk eval {set}", "已保存为 {id}（{set}）：snapdesk eval {set}"],
  // hand-overs
  handoverLine: ["{time} · intent {intent} · attempts {attempts}", "{time} · 意图 {intent} · 已推送 {attempts} 次"],
  lastError: [" · last error: {error}", " · 最近一次错误：{error}"],
  onScreenshot: ["On the screenshot", "截图上的内容"],
  passages: ["Passages", "知识库段落"],
  // charts
  range: ["Range", "时间范围"],
  range1h: ["last hour, by minute", "最近 1 小时（按分钟）"],
  range6h: ["last 6 hours, by minute", "最近 6 小时（按分钟）"],
  range1d: ["last day, by hour", "最近 1 天（按小时）"],
  range1w: ["last week, by hour", "最近 1 周（按小时）"],
  latencyStage: ["Latency stage", "耗时环节"],
  totals: [
    "{requests} requests ({failed} failed), {answers} answers, cache hit rate {rate}, {escalations} hand-overs, feedback {up} up / {down} down",
    "请求 {requests} 次（失败 {failed} 次），回答 {answers} 条，缓存命中率 {rate}，转人工 {escalations} 次，评价：好评 {up} / 差评 {down}",
  ],
  chartRequests: ["Requests", "请求量"],
  chartLatency: ["Latency: {stage} (ms)", "耗时：{stage}（毫秒）"],
  chartCache: ["Cache hit rate", "缓存命中率"],
  chartTiers: ["Tiers", "档位分布"],
  chartEscalation: ["Escalation rate", "转人工率"],
  chartFeedback: ["Feedback", "评价"],
  seriesRequests: ["requests", "请求"],
  seriesFailed: ["failed", "失败"],
  seriesCache: ["answers from cache", "缓存回答"],
  // knowledge base
  kbNamed: ["Knowledge base: {name}", "知识库：{name}"],
  reloadNow: ["Reload now", "立即重新加载"],
  problems: ["Problems found", "发现的问题"],
  kbFolder: ["Folder", "目录"],
  kbBundled: ["(bundled demo)", "（内置示例）"],
  kbLanguage: ["Language", "语言"],
  kbVersion: ["Version", "版本"],
  kbLoaded: ["Loaded at", "加载时间"],
  kbArticles: ["Articles", "文章数"],
  kbPassages: ["Passages", "段落数"],
  kbTeams: ["Teams", "转人工团队"],
  passageCount: ["{source} · {n} passage(s)", "{source} · {n} 个段落"],
  intro: ["(intro)", "（开头）"],
  reloading: ["Reloading…", "正在重新加载…"],
  reloadedAt: ["Reloaded at {time}.", "已于 {time} 重新加载。"],
  reloadFailed: ["Reload failed, still serving the previous version: {error}", "重新加载失败，仍在使用上一版：{error}"],
  // try it
  tryIntro: [
    "Run a screenshot and a question through every stage, as a customer's would go. Nothing is stored.",
    "用一张截图和一个问题，按顾客咨询的流程走一遍每个环节。结果不会保存。",
  ],
  tryImage: ["Screenshot (optional)", "截图（可选）"],
  tryText: ["Question", "问题"],
  run: ["Run", "运行"],
  running: ["Running…", "正在运行…"],
  stageIntake: ["Intake", "接收"],
  stageOcr: ["OCR", "文字识别（OCR）"],
  stageFields: ["Fields", "字段提取"],
  stageIntent: ["Intent", "意图"],
  stageRetrieval: ["Retrieval", "知识库检索"],
  stageAnswer: ["Answer", "回答"],
  stageTimings: ["Timings", "耗时"],
  noScreenshot: ["no screenshot", "没有截图"],
  screenKindLines: ["Screen kind: {screen}{dark} · {n} line(s)", "界面类型：{screen}{dark} · 共 {n} 行"],
  dark: [" (dark)", "（深色）"],
  screenKind: ["Screen kind: {screen}", "界面类型：{screen}"],
  screenshotTried: ["Screenshot tried", "试用的截图"],
  colText: ["Text", "文字"],
  colCues: ["Cues", "视觉提示"],
  colConfidence: ["Confidence", "置信度"],
  colBox: ["Box", "位置框"],
  exactKeys: ["Exact keys: {keys}", "精确匹配的关键词：{keys}"],
  colScore: ["Score", "得分"],
  colPassage: ["Passage", "段落"],
  colKeys: ["Keys matched", "命中的关键词"],
  nothingRetrieved: ["nothing retrieved", "没有检索到内容"],
  passagesUsed: ["Passages used", "引用的段落"],
  answerMeta: ["engine {engine} · KB {kb} · {language}", "引擎 {engine} · 知识库版本 {kb} · 语言 {language}"],
  ocrCached: [
    "The OCR reading came from the cache (this screenshot was read before).",
    "识别结果来自缓存（这张截图之前已读过）。",
  ],
  // shared pieces (admin-dom.js)
  screenshot: ["Screenshot", "截图"],
  screenshotUnavailable: ["Screenshot unavailable: {message}", "截图无法加载：{message}"],
  noPassage: ["no passage", "没有段落"],
  score: ["score {score}", "得分 {score}"],
  noTimings: ["no timings", "没有耗时数据"],
  // errors: English shows the service's own message; Chinese names the common cases in its own words
  error: ["{message}", "出错了：{message}"],
  err401: ["{message}", "密钥无效或已被停用，请重新登录。"],
  err403: ["{message}", "这个密钥既不是管理员密钥也不是客服密钥：请用 snapdesk keys create 名称 --admin 或 snapdesk keys create --agent 名称 创建。"],
  err429: ["{message}", "请求太频繁，请稍后再试。"],
  errNetwork: ["{message}", "连接不上 SnapDesk 服务，请检查网络后重试（{message}）。"],
};

// Names the service uses as values (tiers, intents, latency stages): shown as they are in English, named in Chinese.
const NAMES = {
  tier: {
    best: "模型精答（best）", greedy: "模型快答（greedy）", full: "完整识别（full）", fast: "快速识别（fast）",
    text: "仅文字（text）", hold: "排队稍候（hold）", cache: "缓存（cache）", unknown: "未知",
  },
  intent: {
    order_status: "订单状态", payment_failure: "支付失败", refund: "退款", account_login: "账号登录",
    app_crash: "应用闪退", complaint: "投诉", coupon: "优惠券", logistics: "物流", other: "其他",
  },
  stage: {
    request: "整次请求", intake: "接收", moderation: "内容审核", ocr: "文字识别", layout: "版面分析",
    fields: "字段提取", retrieval: "知识库检索", engine: "生成回答", total: "合计", wall: "总用时",
  },
};

const STRINGS = { en: {}, zh: {} };
for (const [key, [en, zh]] of Object.entries(PAIRS)) {
  STRINGS.en[key] = en;
  STRINGS.zh[key] = zh;
}

export { lang };
export const t = translator(STRINGS);

export function named(kind, value) {
  return (lang === "zh" && NAMES[kind][value]) || value;
}

// An error as the operator reads it: the service's message (English), or a Chinese sentence for it.
export function errorText(error) {
  if (lang !== "zh") return error.message;
  if (error.status === undefined) return t("errNetwork", { message: error.message });
  return [401, 403, 429].includes(error.status) ? t(`err${error.status}`) : t("error", { message: error.message });
}

export function translatePage(root = document) {
  translateMarkup(root, t);
}
