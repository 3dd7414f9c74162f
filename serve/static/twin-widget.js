/*! Twin chat widget: one file, no dependencies. Served by `twin serve` at /widget.js.
 *
 *   <script src="https://twin.example.com/widget.js" defer
 *           data-title="Ask Noa" data-greeting="Hi! Ask me about my projects."></script>
 *
 * Options (data-* attributes on the script tag, all optional):
 *   data-title       panel title and launcher label      (default "Ask me")
 *   data-greeting    first message shown in the panel
 *   data-api         the twin server's address            (default: where this script came from)
 *   data-profile     a configuration name from GET /v1/models (default "twin")
 *   data-token       a bearer token: only for private pages (anyone who can see the page can read it);
 *                    on a public site run `twin serve --public` instead
 *   data-source-url  link sources to your site, e.g. "https://noa.example/notes/{path}"
 *   data-position    "right" (default) or "left"
 *   data-open        "true" to start with the panel open
 *
 * Answers stream behind the server's judge: the widget only ever receives judged text.
 * Keyboard: the launcher is a button; opening moves focus to the question box; Enter sends,
 * Shift+Enter adds a line; Escape closes and returns focus to the launcher. New messages are
 * announced by a polite live region once each answer is complete.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__twinWidget) return;
  window.__twinWidget = true;
  var opt = script.dataset || {};
  var api = (opt.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var title = opt.title || "Ask me";
  var profile = opt.profile || "twin";
  var storeKey = "twin-thread:" + api + ":" + profile;

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    ".wrap{position:fixed;bottom:20px;z-index:2147483000;--bg:#fff;--fg:#1b1f24;--muted:#5b6570;--line:#d5dae0;",
    "--accent:#1f5fbf;--accent-fg:#fff;--me:#e8f0fc;--twin:#f3f4f6}",
    ".wrap{display:flex;flex-direction:column;align-items:flex-end}",
    ".wrap.right{right:20px}.wrap.left{left:20px;align-items:flex-start}",
    "@media (prefers-color-scheme:dark){.wrap{--bg:#16191d;--fg:#e8eaed;--muted:#a3acb6;--line:#3a4048;",
    "--accent:#6ea0f0;--accent-fg:#0b0d10;--me:#1f2f4a;--twin:#23272d}}",
    ".launcher{border:0;border-radius:999px;padding:12px 18px;background:var(--accent);color:var(--accent-fg);",
    "font-size:15px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    "button:focus-visible,textarea:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #f5a623;outline-offset:2px}",
    ".panel{display:none;flex-direction:column;width:min(380px,calc(100vw - 24px));height:min(560px,calc(100vh - 100px));",
    "background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:14px;",
    "box-shadow:0 10px 40px rgba(0,0,0,.3);margin-bottom:10px;overflow:hidden}",
    ".panel.open{display:flex}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;border-bottom:1px solid var(--line)}",
    "header h2{flex:1;margin:0;font-size:15px}",
    ".icon{border:1px solid var(--line);background:transparent;color:var(--fg);border-radius:8px;padding:4px 9px;",
    "cursor:pointer;font-size:13px}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:10px;font-size:14px;line-height:1.45}",
    ".msg{max-width:88%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".me{align-self:flex-end;background:var(--me)}",
    ".twin{align-self:flex-start;background:var(--twin)}",
    ".status{color:var(--muted);font-size:12px;font-style:italic;margin-top:4px}",
    ".error{color:#b3261e}",
    ".sources{margin:6px 0 0;padding:6px 0 0;border-top:1px solid var(--line);font-size:12px;color:var(--muted);list-style:none}",
    ".sources li{margin:2px 0}",
    ".sources-title{font-weight:600;margin-right:4px}",
    ".sources a{color:var(--accent)}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid var(--line)}",
    "textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:10px;padding:8px 10px;font-size:14px;",
    "background:var(--bg);color:var(--fg);max-height:120px}",
    ".send{border:0;border-radius:10px;padding:0 14px;background:var(--accent);color:var(--accent-fg);font-weight:600;cursor:pointer}",
    ".send:disabled{opacity:.5;cursor:default}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  var host = el("div", { id: "twin-widget" });
  var root = host.attachShadow({ mode: "open" });
  var style = el("style");
  style.textContent = CSS;
  var wrap = el("div", { class: "wrap " + (opt.position === "left" ? "left" : "right") });
  var panel = el("section", { class: "panel", id: "twin-panel", role: "dialog", "aria-modal": "false",
                              "aria-labelledby": "twin-title" });
  var header = el("header");
  var h2 = el("h2", { id: "twin-title" }, title);
  var fresh = el("button", { type: "button", class: "icon", "aria-label": "Start a new conversation" }, "New");
  var close = el("button", { type: "button", class: "icon", "aria-label": "Close the chat" }, "\u2715");
  header.append(h2, fresh, close);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                        "aria-label": "Conversation", tabindex: "0" });
  var form = el("form");
  var label = el("label", { for: "twin-q", class: "sr" }, "Your question");
  var input = el("textarea", { id: "twin-q", rows: "1", maxlength: "2000", placeholder: "Ask a question\u2026",
                               "aria-describedby": "twin-hint" });
  var hint = el("span", { id: "twin-hint", class: "sr" }, "Enter sends, Shift+Enter adds a line, Escape closes.");
  var send = el("button", { type: "submit", class: "send" }, "Send");
  form.append(label, input, hint, send);
  panel.append(header, log, form);
  var launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false",
                                "aria-controls": "twin-panel" }, title);
  wrap.append(panel, launcher);
  root.append(style, wrap);

  var busy = false;

  function say(kind, text) {
    var node = el("div", { class: "msg " + kind }, text);
    log.append(node);
    log.scrollTop = log.scrollHeight;
    return node;
  }

  function greet() {
    if (opt.greeting) say("twin", opt.greeting);
  }

  function setOpen(open) {
    panel.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) input.focus(); else launcher.focus();
  }

  function sourceList(sources) {
    var seen = {}, list = el("ul", { class: "sources", "aria-label": "Sources" });
    list.append(el("li", { class: "sources-title", "aria-hidden": "true" }, "Sources"));
    (sources || []).forEach(function (s) {
      if (seen[s.path]) return;
      seen[s.path] = true;
      var item = el("li");
      var text = (s.title || s.path) + (s.date ? " (" + s.date + ")" : "");
      if (opt.sourceUrl) {
        var a = el("a", { href: opt.sourceUrl.replace("{path}", encodeURI(s.path)), target: "_blank", rel: "noopener" }, text);
        item.append(a);
      } else {
        item.textContent = text;
      }
      list.append(item);
    });
    return list.children.length > 1 ? list : null;
  }

  function parseEvents(buffer, onEvent) {
    var parts = buffer.split("\n\n");
    var rest = parts.pop();
    parts.forEach(function (block) {
      var name = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (line.indexOf("event:") === 0) name = line.slice(6).trim();
        else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
      });
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    });
    return rest;
  }

  function ask(question) {
    busy = true;
    send.disabled = true;
    say("me", question);
    var bubble = say("twin", "");
    bubble.setAttribute("data-state", "waiting");
    var text = el("div", { class: "answer" });
    var status = el("div", { class: "status", "aria-hidden": "true" }, "thinking\u2026");
    bubble.append(text, status);
    log.setAttribute("aria-busy", "true");
    var headers = { "Content-Type": "application/json" };
    if (opt.token) headers.Authorization = "Bearer " + opt.token;
    var body = { question: question, stream: true, profile: profile };
    var thread = sessionStorage.getItem(storeKey);
    if (thread) body.thread_id = thread;

    function finish(state) {
      busy = false;
      send.disabled = false;
      bubble.setAttribute("data-state", state);
      log.setAttribute("aria-busy", "false");
      if (status.parentNode) status.remove();
      log.scrollTop = log.scrollHeight;
    }

    function fail(message) {
      text.textContent = message;
      text.classList.add("error");
      finish("error");
    }

    function onEvent(name, data) {
      if (name === "start" && data.thread_id) sessionStorage.setItem(storeKey, data.thread_id);
      else if (name === "status") status.textContent = data.text + "\u2026";
      else if (name === "token") { bubble.setAttribute("data-state", "streaming"); text.textContent += data.text; }
      else if (name === "replace") text.textContent = data.text;
      else if (name === "result") {
        text.textContent = data.answer;
        var list = sourceList(data.sources);
        if (list) bubble.append(list);
        finish("done");
      } else if (name === "error") fail((data.error && data.error.message) || "Something went wrong.");
      log.scrollTop = log.scrollHeight;
    }

    fetch(api + "/v1/ask", { method: "POST", headers: headers, body: JSON.stringify(body) })
      .then(function (response) {
        if (!response.ok) {
          var wait = response.headers.get("Retry-After");
          return response.json().catch(function () { return {}; }).then(function (err) {
            if (response.status === 429) fail("I'm answering other people right now; please try again" +
                                              (wait ? " in " + wait + " s." : " shortly."));
            else if (response.status === 400 && thread && /thread/.test(JSON.stringify(err))) {
              sessionStorage.removeItem(storeKey);
              fail("That conversation expired; please ask again.");
            } else fail((err.error && err.error.message) || "The twin is unavailable (" + response.status + ").");
          });
        }
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              if (busy) fail("The answer was cut off; please ask again.");
              return;
            }
            buffer = parseEvents(buffer + decoder.decode(chunk.value, { stream: true }), onEvent);
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { fail("Cannot reach the twin right now."); });
  }

  launcher.addEventListener("click", function () { setOpen(!panel.classList.contains("open")); });
  close.addEventListener("click", function () { setOpen(false); });
  fresh.addEventListener("click", function () {
    sessionStorage.removeItem(storeKey);
    log.textContent = "";
    greet();
    input.focus();
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); setOpen(false); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var question = input.value.trim();
    if (!question || busy) return;
    input.value = "";
    ask(question);
  });

  greet();
  function mount() {
    document.body.append(host);
    if (opt.open === "true") setOpen(true);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
