// Syntax highlighting for the page, by Prism's tokenizer (prism.js, vendored): Prism.tokenize gives a tree of
// tokens, and the nodes are built here with textContent (never innerHTML), so text from the model can never
// become markup. Also the splitting of a reply into text and fenced code blocks.
"use strict";
(function () {
  const ALIASES = { py: "python", python3: "python", js: "javascript", jsx: "javascript", mjs: "javascript",
    ts: "typescript", tsx: "typescript", sh: "bash", shell: "bash", zsh: "bash", console: "bash",
    html: "markup", htm: "markup", xml: "markup", vue: "markup", svg: "markup" };
  const KNOWN = ["python", "javascript", "typescript", "bash", "sql", "markup", "css", "json"];

  function language(name) {
    const key = (name || "").toLowerCase();
    const lang = ALIASES[key] || key;
    return KNOWN.includes(lang) && window.Prism && Prism.languages[lang] ? lang : "";
  }

  function className(token) {
    const kinds = [token.type].concat(token.alias || []);
    return kinds.map((k) => "hl-" + String(k).replace(/[^a-z-]/gi, "")).join(" ");
  }

  function append(target, content) {
    if (typeof content === "string") {
      target.append(document.createTextNode(content));
    } else if (Array.isArray(content)) {
      for (const part of content) append(target, part);
    } else {
      const span = document.createElement("span");
      span.className = className(content);
      append(span, content.content);
      target.append(span);
    }
  }

  // Fill `target` with `code` highlighted as `lang`; returns target.
  function highlight(target, code, lang) {
    const l = language(lang);
    target.replaceChildren();
    if (!l) {
      target.textContent = code;
      return target;
    }
    append(target, Prism.tokenize(code, Prism.languages[l]));
    return target;
  }

  // Split a reply into text and fenced code blocks: [{kind: "text"|"code", text, lang, open}].
  function blocks(reply) {
    const out = [];
    const fence = /^```[ \t]*([\w+#.-]*)[^\n]*\n?/gm;
    let pos = 0;
    for (;;) {
      fence.lastIndex = pos;
      const start = fence.exec(reply);
      if (!start) break;
      if (start.index > pos) out.push({ kind: "text", text: reply.slice(pos, start.index) });
      const body = start.index + start[0].length;
      const close = reply.indexOf("\n```", body - 1);
      if (close < 0) {
        out.push({ kind: "code", text: reply.slice(body), lang: start[1], open: true });
        return out;
      }
      out.push({ kind: "code", text: reply.slice(body, close + 1), lang: start[1], open: false });
      const after = reply.indexOf("\n", close + 4);
      pos = after < 0 ? reply.length : after + 1;
    }
    if (pos < reply.length) out.push({ kind: "text", text: reply.slice(pos) });
    return out;
  }

  window.AigcHighlight = { highlight, blocks, language };
})();
