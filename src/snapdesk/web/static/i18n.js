// UI strings in English and Chinese; the browser's language picks one (navigator.language).
const STRINGS = {
  en: {
    title: "SnapDesk support",
    subtitle: "Send a screenshot and ask — we read it and answer from the shop's help pages.",
    drop: "Drop a screenshot here, paste it (Ctrl+V), or",
    choose: "Choose a screenshot",
    remove: "Remove screenshot",
    screenshot: "Your screenshot",
    question: "Your question",
    placeholder: "e.g. Why hasn't my order shipped?",
    send: "Send",
    sending: "Reading your screenshot…",
    hint: "Enter sends, Shift+Enter starts a new line.",
    saw: "What I saw:",
    order: "Order",
    status: "Status",
    code: "Error code",
    amount: "Amount",
    tracking: "Tracking",
    exception: "Error",
    notice: "Notice",
    helpful: "Helpful",
    unhelpful: "Not helpful",
    thanks: "Thanks for the feedback.",
    handover: "A person will take over this case",
    handoverTeam: "A person from {team} will take over this case",
    reference: "Reference:",
    attached: "Screenshot attached",
    error: "Sorry, that did not work: {message}",
    notImage: "That file is not an image.",
    you: "You",
    bot: "SnapDesk",
    person: "{name} · support team",
    team: "Support",
    replyPicture: "Picture from our support team",
    newChat: "New conversation",
    empty: "Ask a question about your order, a payment, an error message…",
  },
  zh: {
    title: "SnapDesk 客服",
    subtitle: "发一张截图并提问，我们读懂截图，按店铺的帮助文档回答。",
    drop: "把截图拖到这里、粘贴（Ctrl+V），或",
    choose: "选择截图",
    remove: "移除截图",
    screenshot: "你的截图",
    question: "你的问题",
    placeholder: "例如：我的货怎么还没发？",
    send: "发送",
    sending: "正在读取截图…",
    hint: "回车发送，Shift+回车换行。",
    saw: "我看到：",
    order: "订单号",
    status: "状态",
    code: "错误码",
    amount: "金额",
    tracking: "运单号",
    exception: "错误",
    notice: "提示",
    helpful: "有帮助",
    unhelpful: "没帮助",
    thanks: "感谢反馈。",
    handover: "已转人工客服处理",
    handoverTeam: "已转交{team}人工处理",
    reference: "工单号：",
    attached: "已附截图",
    error: "抱歉，出错了：{message}",
    notImage: "这个文件不是图片。",
    you: "你",
    bot: "SnapDesk",
    person: "{name} · 人工客服",
    team: "客服",
    replyPicture: "客服发来的图片",
    newChat: "新对话",
    empty: "可以问订单、付款、报错提示等问题…",
  },
};

export const lang = (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";

// A t() over a table of {en: {...}, zh: {...}}: the page's language, else English, else the key; {name} fills in.
// The console (admin-i18n.js) makes its own from its strings.
export function translator(strings) {
  return (key, values = {}) => {
    const text = strings[lang][key] ?? strings.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
  };
}

export const t = translator(STRINGS);

// Static markup names its strings: data-i18n (text), data-i18n-placeholder, data-i18n-label (aria-label), data-i18n-alt.
// `tr` is the page's own t (the chat page's by default); its "title" key names the document.
export function translatePage(root = document, tr = t) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = tr(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = tr(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", tr(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-alt]")) el.alt = tr(el.dataset.i18nAlt);
  document.title = tr("title");
}
