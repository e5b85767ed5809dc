// aigc-coder's page: chat (kept in history), verified generation with its report, and new projects with live
// progress, files, tests and a preview. Plain JS against the server's own API; text from the model or a
// project is always written with textContent or the highlighter's DOM nodes, never as HTML.
"use strict";
(function () {
  const H = window.AigcHighlight;
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const c of children) node.append(c);
    return node;
  };
  const state = { conversation: null, chatAbort: null, genAbort: null, project: null, projectAbort: null };
  // The API key (servers started with keys) lives in this page's memory only: never in localStorage, where
  // any script of the origin could read it later.
  let apiKey = "";

  // ---- talking to the server ------------------------------------------------------------------------------

  function headers(json) {
    const h = { Accept: "application/json" };
    if (json) h["Content-Type"] = "application/json";
    if (apiKey) h.Authorization = `Bearer ${apiKey}`;
    return h;
  }

  function notify(text, ok) {
    $("notice").replaceChildren(text ? el("div", { className: ok ? "ok" : "error", textContent: text }) : "");
  }

  async function failure(r) {
    const body = await r.json().catch(() => null);
    if (r.status === 401) $("key-form").hidden = false;
    const message = body && body.error ? body.error.message : `request failed (${r.status})`;
    return new Error(message);
  }

  async function api(method, path, body, signal) {
    const r = await fetch(path, { method, headers: headers(body !== undefined), signal,
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (!r.ok) throw await failure(r);
    return r.status === 204 ? null : r.json();
  }

  // Server-sent events from a fetch response (POST streams cannot use EventSource): calls on(event, data).
  async function readEvents(response, on) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let name = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) name = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length) on(name, JSON.parse(data.join("\n")));
      }
    }
  }

  async function stream(method, path, body, signal, on) {
    const r = await fetch(path, { method, headers: headers(body !== undefined), signal,
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (!r.ok) throw await failure(r);
    await readEvents(r, on);
  }

  // ---- rendering -------------------------------------------------------------------------------------------

  function codeBlock(text, lang) {
    const pre = el("pre", { className: "code" });
    const code = H.highlight(el("code"), text, lang);
    code.dataset.lang = H.language(lang) || "text";
    const copy = el("button", { className: "copy", type: "button", textContent: "copy" });
    copy.onclick = () => navigator.clipboard && navigator.clipboard.writeText(text);
    pre.append(code, copy);
    return pre;
  }

  function renderReply(target, reply) {
    target.replaceChildren(...H.blocks(reply).map((b) =>
      b.kind === "code" ? codeBlock(b.text, b.lang) : el("p", { textContent: b.text.replace(/^\n+|\n+$/g, "") })));
  }

  function showTab(view) {
    for (const tab of document.querySelectorAll("nav [role=tab]")) {
      const on = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(on));
      $(`view-${tab.dataset.view}`).hidden = !on;
    }
    location.hash = view;
    if (view === "project") loadProjects().catch((err) => notify(err.message));
  }

  // ---- chat ------------------------------------------------------------------------------------------------

  function messageNode(role, content, status) {
    const body = el("div", { className: "body" });
    const head = el("div", { className: "role", textContent: role });
    if (status && status !== "done") head.append(el("span", { className: "status", textContent: status }));
    const node = el("div", { className: `msg ${role}` }, head, body);
    if (role === "assistant") renderReply(body, content);
    else body.append(el("p", { textContent: content }));
    return node;
  }

  async function loadConversations() {
    const list = await api("GET", "/api/conversations");
    $("conversations").replaceChildren(...list.map((c) => {
      const forget = el("button", { className: "forget", type: "button", textContent: "×", title: "delete this conversation" });
      forget.onclick = async (event) => {
        event.stopPropagation();
        await api("DELETE", `/api/conversations/${c.id}`);
        if (state.conversation === c.id) { state.conversation = null; $("messages").replaceChildren(); }
        loadConversations();
      };
      const li = el("li", { title: c.title }, el("span", { textContent: c.title }), forget);
      li.dataset.id = c.id;
      if (c.id === state.conversation) li.className = "active";
      li.onclick = () => openConversation(c.id);
      return li;
    }));
  }

  async function openConversation(id) {
    const conv = await api("GET", `/api/conversations/${id}`);
    state.conversation = id;
    $("messages").replaceChildren(...conv.messages.map((m) => messageNode(m.role, m.content, m.status)));
    loadConversations();
  }

  async function sendChat(event) {
    event.preventDefault();
    const text = $("chat-input").value;
    if (!text.trim() || state.chatAbort) return;
    $("chat-input").value = "";
    notify("");
    $("messages").append(messageNode("user", text));
    const answer = messageNode("assistant", "");
    $("messages").append(answer);
    const body = answer.querySelector(".body");
    let reply = "";
    let pending = false;
    const paint = () => { pending = false; renderReply(body, reply); answer.scrollIntoView({ block: "end" }); };
    state.chatAbort = new AbortController();
    $("chat-send").disabled = true;
    $("chat-stop").hidden = false;
    try {
      await stream("POST", "/api/chat", { message: text, conversation_id: state.conversation },
        state.chatAbort.signal, (name, data) => {
          if (name === "conversation") { state.conversation = data.id; loadConversations(); }
          if (name === "text") { reply += data.text; if (!pending) { pending = true; requestAnimationFrame(paint); } }
          if (name === "done") { answer.dataset.done = "true"; answer.dataset.tokens = data.usage.completion_tokens; }
          if (name === "error") notify(data.message);
        });
      paint();
    } catch (err) {
      if (err.name !== "AbortError") notify(err.message);
    } finally {
      state.chatAbort = null;
      $("chat-send").disabled = false;
      $("chat-stop").hidden = true;
    }
  }

  // ---- verified generation ---------------------------------------------------------------------------------

  function table(headings, rows) {
    const head = el("tr", {}, ...headings.map((h) => el("th", { textContent: h })));
    return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows.map((cells) =>
      el("tr", {}, ...cells.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { textContent: String(c) })))))));
  }

  function verdict(ok, yes, no) {
    return el("span", { className: `badge ${ok ? "ok" : "bad"}`, textContent: ok ? yes : no });
  }

  function showReport(result) {
    const report = $("gen-report");
    const v = result.verification;
    const stats = `${result.usage.prompt_tokens} prompt + ${result.usage.completion_tokens} completion tokens · ` +
      `${result.timings.total_s.toFixed(1)} s · ${result.model}`;
    if (!v) {
      report.replaceChildren(el("p", { textContent: "not verified (verification was off)" }), el("p", { className: "muted", textContent: stats }));
      return;
    }
    const checks = table(["check", "result", "findings"], v.checks.map((c) => [c.tool,
      el("span", { className: c.passed ? "pass" : "fail", textContent: c.passed ? "passed" : "FAILED" }),
      c.findings.map((f) => `${f.rule} line ${f.line}: ${f.message}`).join("\n") || "—"]));
    const outcome = (t) => t.passed ? (t.source === "probe" ? `returned ${t.output}` : "passed") : (t.error || "failed");
    const tests = table(["source", "test", "result"], v.tests.map((t) => [t.source, t.name,
      el("span", { className: t.passed ? "pass" : "fail", textContent: outcome(t) })]));
    report.replaceChildren(
      el("p", {}, verdict(v.passed, "verified", "NOT verified")),
      el("p", { textContent: v.summary }),
      el("p", { className: "grade", textContent: v.summary.includes(v.grade) ? "" : `evidence: ${v.grade}` }),
      el("p", { className: "muted", textContent: `${v.candidates} candidates · ${v.rounds} repair rounds · chosen: ${v.chosen}` }),
      el("h3", { textContent: "Checks" }), checks,
      el("h3", { textContent: `Tests (${v.tests.length})` }), v.tests.length ? tests : el("p", { textContent: "no tests ran" }),
      el("p", { className: "muted", textContent: stats }));
    report.dataset.passed = String(v.passed);
  }

  async function runGenerate(event) {
    event.preventDefault();
    const requirement = $("gen-input").value;
    if (!requirement.trim() || state.genAbort) return;
    notify("");
    $("gen-stream").textContent = "";
    $("gen-progress").replaceChildren();
    $("gen-code").replaceChildren(el("code"));
    $("gen-report").replaceChildren(el("p", { className: "muted", textContent: "working…" }));
    delete $("gen-report").dataset.passed;
    const body = { requirement, verify: $("gen-verify").checked, max_rounds: Number($("gen-rounds").value),
      n: Number($("gen-n").value) || null, language: $("gen-lang").value || null };
    state.genAbort = new AbortController();
    $("gen-run").disabled = true;
    $("gen-stop").hidden = false;
    try {
      await stream("POST", "/api/generate/stream", body, state.genAbort.signal, (name, data) => {
        if (name === "text") $("gen-stream").textContent += data.text;
        if (name === "progress") $("gen-progress").append(el("li", { textContent: data.message }));
        if (name === "result") {
          $("gen-code").replaceWith(Object.assign(codeBlock(data.code || "(no code in the answer)", data.language), { id: "gen-code" }));
          showReport(data);
        }
        if (name === "error") { notify(data.message); $("gen-report").replaceChildren(el("p", { textContent: data.message })); }
      });
    } catch (err) {
      if (err.name !== "AbortError") notify(err.message);
    } finally {
      state.genAbort = null;
      $("gen-run").disabled = false;
      $("gen-stop").hidden = true;
    }
  }

  // ---- projects --------------------------------------------------------------------------------------------

  async function loadProjects() {
    const list = await api("GET", "/api/projects");
    $("projects").replaceChildren(...list.map((p) => {
      const li = el("li", { textContent: `${p.title} · ${p.status}`, title: p.title });
      li.onclick = () => openProject(p.id);
      if (p.id === state.project) li.className = "active";
      return li;
    }));
  }

  async function startProject(event) {
    event.preventDefault();
    const file = $("project-openapi").files[0];
    const body = { rules: $("project-rules").checked };
    if (file) body.openapi = await file.text();
    else body.requirement = $("project-input").value;
    if (!file && !body.requirement.trim()) return;
    notify("");
    try {
      const job = await api("POST", "/api/projects", body);
      $("project-openapi").value = "";
      openProject(job.id);
    } catch (err) {
      notify(err.message);
    }
  }

  function projectStatus(status) {
    const badge = $("project-status");
    badge.textContent = status;
    badge.className = `badge ${status === "done" ? "ok" : ["failed", "not_done", "cancelled", "interrupted"].includes(status) ? "bad" : ""}`;
  }

  async function openProject(id) {
    if (state.projectAbort) state.projectAbort.abort();
    state.project = id;
    const job = await api("GET", `/api/projects/${id}`);
    $("project-view").hidden = false;
    $("project-built").hidden = true;
    $("project-preview").hidden = true;
    $("project-preview").removeAttribute("src");
    $("project-title").textContent = job.title;
    projectStatus(job.status);
    $("project-stages").replaceChildren();
    loadProjects();
    const abort = (state.projectAbort = new AbortController());
    try {
      await stream("GET", `/api/projects/${id}/events`, undefined, abort.signal, (name, data) => {
        if (name === "progress") $("project-stages").append(el("li", { textContent: `${data.t.toFixed(1)} s · ${data.message}` }));
        if (name === "end") { projectStatus(data.status); if (data.error) notify(data.error); }
      });
    } catch (err) {
      if (err.name !== "AbortError") notify(err.message);
      return;
    }
    const done = await api("GET", `/api/projects/${id}`);
    if (done.report) showProject(id, done.report);
    loadProjects();
  }

  async function showFile(id, path) {
    const r = await fetch(`/api/projects/${id}/files/${path}`, { headers: headers(false) });
    if (!r.ok) throw await failure(r);
    const lang = { py: "python", js: "javascript", html: "html", css: "css", json: "json", md: "", txt: "" }[path.split(".").pop()];
    $("project-file-name").textContent = path;
    $("project-file").replaceWith(Object.assign(codeBlock(await r.text(), lang), { id: "project-file" }));
  }

  async function showProject(id, report) {
    $("project-built").hidden = false;
    const files = await api("GET", `/api/projects/${id}/files`);
    const seen = new Set();
    const items = [];
    for (const f of files) {
      const parts = f.path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const dir = parts.slice(0, i).join("/");
        if (!seen.has(dir)) { seen.add(dir); items.push(el("li", { className: "dir", textContent: `${"  ".repeat(i - 1)}${parts[i - 1]}/` })); }
      }
      const li = el("li", { textContent: `${"  ".repeat(parts.length - 1)}${parts[parts.length - 1]}` });
      li.dataset.path = f.path;
      li.onclick = () => showFile(id, f.path).catch((err) => notify(err.message));
      items.push(li);
    }
    $("project-files").replaceChildren(...items);
    const tests = report.tests;
    $("project-tests").replaceChildren(
      el("p", { textContent: tests ? `${tests.passed} passed, ${tests.failed} failed (${tests.status}, ${tests.seconds} s)` : "not run" }),
      table(["test", "result"], (tests ? tests.results : []).map((t) => [t.name,
        el("span", { className: t.passed ? "pass" : "fail", textContent: t.passed ? "passed" : `FAILED ${t.error}` })])));
    const probe = report.probe;
    $("project-probe").replaceChildren(
      el("p", { textContent: probe ? (probe.started ? "the app started" : "the app did NOT start") : "not run" }),
      table(["request", "expected", "got"], (probe ? probe.steps : []).map((s) => [`${s.method} ${s.path}`, s.expect,
        el("span", { className: s.ok ? "pass" : "fail", textContent: String(s.status) })])));
    const spec = report.spec || { endpoints: [] };
    $("project-endpoints").replaceChildren(table(["method", "path", "what", "status"],
      spec.endpoints.map((e) => [e.method, e.path, e.summary, e.success_status])));
    const rules = [...report.rules, ...report.actions];
    $("project-rules-list").replaceChildren(...(rules.length ? [el("h3", { textContent: "Business rules and actions" }),
      table(["rule", "status", "why"], rules.map((r) => [r.rule, r.status, r.why]))] : []));
    $("project-zip").onclick = async (event) => {
      event.preventDefault();
      const r = await fetch(`/api/projects/${id}/zip`, { headers: headers(false) });
      if (!r.ok) { notify((await failure(r)).message); return; }
      const link = el("a", { href: URL.createObjectURL(await r.blob()), download: `aigc-project-${id}.zip` });
      link.click();
    };
    const first = files.find((f) => f.path === "backend/main.py") || files[0];
    if (first) showFile(id, first.path).catch((err) => notify(err.message));
  }

  async function startPreview() {
    if (!state.project) return;
    $("project-preview-start").disabled = true;
    notify("starting the app in the sandbox…", true);
    try {
      const preview = await api("POST", `/api/projects/${state.project}/preview`);
      const frame = $("project-preview");
      frame.src = preview.url;
      frame.hidden = false;
      notify("");
    } catch (err) {
      notify(err.message);
    } finally {
      $("project-preview-start").disabled = false;
    }
  }

  // ---- why this token --------------------------------------------------------------------------------------

  async function runInspect(event) {
    event.preventDefault();
    const prompt = $("inspect-input").value;
    if (!prompt.trim()) return;
    const mode = $("inspect-mode").value;
    const layer = $("inspect-layer").value, head = $("inspect-head").value;
    const body = { prompt, max_tokens: Number($("inspect-tokens").value), top: Number($("inspect-top").value),
      chat: mode === "" ? null : mode === "chat" };
    if (layer !== "" && head !== "") { body.layer = Number(layer); body.head = Number(head); }
    notify("");
    $("inspect-run").disabled = true;
    $("inspect-result").replaceChildren(el("p", { className: "muted", textContent: "generating with the from-scratch model…" }));
    try {
      window.AigcInspect.render($("inspect-result"), await api("POST", "/api/inspect", body));
    } catch (err) {
      $("inspect-result").replaceChildren();
      notify(err.message);
    } finally {
      $("inspect-run").disabled = false;
    }
  }

  // ---- start -----------------------------------------------------------------------------------------------

  async function start() {
    for (const tab of document.querySelectorAll("nav [role=tab]")) tab.onclick = () => showTab(tab.dataset.view);
    $("chat-form").onsubmit = sendChat;
    $("chat-input").onkeydown = (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) sendChat(e); };
    $("chat-stop").onclick = () => state.chatAbort && state.chatAbort.abort();
    $("new-chat").onclick = () => { state.conversation = null; $("messages").replaceChildren(); loadConversations(); };
    $("gen-form").onsubmit = runGenerate;
    $("gen-stop").onclick = () => state.genAbort && state.genAbort.abort();
    $("project-form").onsubmit = startProject;
    $("project-preview-start").onclick = startPreview;
    $("inspect-form").onsubmit = runInspect;
    $("key-form").onsubmit = (e) => {
      e.preventDefault();
      apiKey = $("api-key").value.trim();
      $("api-key").value = "";
      $("key-form").hidden = true;
      start();
    };
    try {
      const info = await api("GET", "/api/info");
      const box = info.sandbox || {};
      $("model").textContent = `${info.model} · context ${info.context_size ?? "?"} · sandbox: ${box.backend ?? "?"}`;
      $("model").title = box.detail || "";
      if (box.backend === "none") notify(`Generated code cannot run here: ${box.detail}`, false);
      else if (box.isolated === false) notify(`Generated code runs NOT isolated: ${box.detail}`, false);
      $("gen-n").max = info.limits.max_candidates;
      await loadConversations();
    } catch (err) {
      notify(err.message);
    }
    const view = location.hash.slice(1);
    if (["chat", "generate", "project", "inspect"].includes(view)) showTab(view);
  }

  start();
})();
