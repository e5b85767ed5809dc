// A small syntax highlighter for the page: no CDN, no dependency, output built as DOM nodes (never innerHTML),
// so text from the model can never become markup. One regular expression per language, tried left to right.
"use strict";
(function () {
  const KEYWORDS = {
    python: "False None True and as assert async await break class continue def del elif else except finally for from " +
      "global if import in is lambda nonlocal not or pass raise return try while with yield match case self",
    javascript: "async await break case catch class const continue debugger default delete do else export extends " +
      "false finally for function if import in instanceof let new null of return static super switch this throw " +
      "true try typeof undefined var void while yield interface type enum implements readonly",
    bash: "if then else elif fi for while do done case esac function in return local export echo exit set",
    sql: "select from where insert into values update set delete create table primary key foreign references not " +
      "null unique index and or order by group having limit join left right inner outer on as distinct default " +
      "integer text varchar real boolean",
    css: "",
    html: "",
    json: "true false null",
  };
  const ALIASES = { py: "python", js: "javascript", ts: "javascript", typescript: "javascript", jsx: "javascript",
    tsx: "javascript", sh: "bash", shell: "bash", zsh: "bash", htm: "html", xml: "html", vue: "html" };

  const COMMENT = { python: "#[^\\n]*", bash: "#[^\\n]*", sql: "--[^\\n]*", javascript: "\\/\\/[^\\n]*|\\/\\*[\\s\\S]*?\\*\\/",
    css: "\\/\\*[\\s\\S]*?\\*\\/", html: "<!--[\\s\\S]*?-->", json: "(?!)" };
  const STRING = {
    python: "[rbfuRBFU]{0,2}(?:\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])*')",
    javascript: "`(?:\\\\.|[^`\\\\])*`|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])*'",
  };
  const DEFAULT_STRING = "\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])*'";

  function language(name) {
    const key = (name || "").toLowerCase();
    return ALIASES[key] || (key in KEYWORDS ? key : "");
  }

  const cache = {};
  function pattern(lang) {
    if (cache[lang]) return cache[lang];
    const words = (KEYWORDS[lang] || "").split(" ").filter(Boolean);
    const parts = [
      `(${COMMENT[lang] || "(?!)"})`,
      `(${STRING[lang] || DEFAULT_STRING})`,
      lang === "html" ? "(<\\/?[A-Za-z][\\w-]*|\\/?>)" : "((?!))",
      "(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)",
      words.length ? `(\\b(?:${words.join("|")})\\b)` : "((?!))",
      "(\\b[A-Za-z_][\\w]*(?=\\s*\\())",
    ];
    const flags = lang === "sql" ? "gi" : "g";
    cache[lang] = new RegExp(parts.join("|"), flags);
    return cache[lang];
  }
  const CLASSES = ["hl-comment", "hl-string", "hl-tag", "hl-number", "hl-keyword", "hl-function"];

  // Fill `target` with `code` highlighted as `lang`; returns target.
  function highlight(target, code, lang) {
    const l = language(lang);
    target.replaceChildren();
    if (!l) {
      target.textContent = code;
      return target;
    }
    const re = pattern(l);
    re.lastIndex = 0;
    let last = 0;
    let m;
    while ((m = re.exec(code)) !== null) {
      if (m[0] === "") { re.lastIndex++; continue; }
      if (m.index > last) target.append(document.createTextNode(code.slice(last, m.index)));
      const group = m.slice(1).findIndex((g) => g !== undefined);
      const span = document.createElement("span");
      span.className = CLASSES[group] || "";
      span.textContent = m[0];
      target.append(span);
      last = m.index + m[0].length;
    }
    if (last < code.length) target.append(document.createTextNode(code.slice(last)));
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
