// SnapDesk's embeddable chat: a shop adds <script src="https://<snapdesk>/widget.js"></script> to its pages.
// A button in the corner opens the chat page in an iframe. Runs on the shop's origin, so it touches nothing
// of the page but its own two elements, and finds SnapDesk from its own script address.
(() => {
  const script = document.currentScript;
  if (!script || window.__snapdeskWidget) return;
  window.__snapdeskWidget = true;
  const base = new URL(".", script.src);
  const zh = (navigator.language || "").toLowerCase().startsWith("zh");
  const label = { open: zh ? "联系客服" : "Chat with support", close: zh ? "关闭客服" : "Close support chat" };

  const frame = document.createElement("iframe");
  frame.id = "snapdesk-frame";
  frame.title = zh ? "SnapDesk 客服" : "SnapDesk support";
  frame.hidden = true;
  Object.assign(frame.style, {
    position: "fixed", right: "16px", bottom: "84px", width: "min(420px, calc(100vw - 32px))",
    height: "min(640px, calc(100vh - 110px))", border: "1px solid #d9dee7", borderRadius: "12px",
    boxShadow: "0 8px 30px rgba(0,0,0,.2)", background: "#fff", zIndex: "2147483646",
  });

  // Icons drawn as SVG: an emoji depends on the visitor's fonts, and an image file on the shop's policies.
  const icon = (d) => {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "26");
    svg.setAttribute("height", "26");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(svg.namespaceURI, "path");
    path.setAttribute("d", d);
    for (const [name, value] of [["fill", "none"], ["stroke", "#fff"], ["stroke-width", "2"], ["stroke-linecap", "round"]]) {
      path.setAttribute(name, value);
    }
    svg.append(path);
    return svg;
  };
  const bubble = icon("M4 5h16v11H9l-5 4V5z");
  const cross = icon("M6 6l12 12M18 6L6 18");

  const button = document.createElement("button");
  button.id = "snapdesk-launcher";
  button.type = "button";
  button.append(bubble);
  button.setAttribute("aria-label", label.open);
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", frame.id);
  Object.assign(button.style, {
    position: "fixed", right: "16px", bottom: "16px", width: "56px", height: "56px", borderRadius: "50%",
    border: "none", background: "#1c64d8", padding: "0", display: "grid", placeItems: "center", cursor: "pointer",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", zIndex: "2147483647",
  });

  button.addEventListener("click", () => {
    const opening = frame.hidden;
    // The chat loads on first open only: a shop's page view costs SnapDesk nothing until someone asks.
    if (opening && !frame.src) frame.src = new URL("?embed=1", base).href;
    frame.hidden = !opening;
    button.setAttribute("aria-expanded", String(opening));
    button.setAttribute("aria-label", opening ? label.close : label.open);
    button.replaceChildren(opening ? cross : bubble);
    if (opening) frame.focus();
    button.style.outline = "";
  });

  // The chat page says when a person's reply arrives while the chat is closed: the button is ringed until opened.
  window.addEventListener("message", (event) => {
    if (event.source !== frame.contentWindow || event.data?.snapdesk !== "reply" || !frame.hidden) return;
    button.style.outline = "4px solid #f0a500";
    button.setAttribute("aria-label", `${label.open} (${zh ? "有新回复" : "new reply"})`);
  });

  const mount = () => document.body.append(frame, button);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
