// "Why this token": the prompt's tokens, then each generated token coloured by its probability. Hover (or
// click, to pin) a generated token to see its probability, the alternatives the model weighed, the entropy
// of its distribution and, when recorded, how strongly it attended to each earlier token.
// Used by `aigc inspect --html` (inlined) and by aigc serve's page. Text is only ever set as textContent.
"use strict";
window.AigcInspect = (function () {
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const c of children) node.append(c);
    return node;
  };
  const shown = (piece) => (piece === "" ? "∅" : piece.replace(/\n/g, "↵\n").replace(/\t/g, "→\t"));
  const pct = (p) => `${(100 * p).toFixed(p >= 0.1 ? 1 : 2)}%`;
  const colour = (p) => `hsl(${Math.round(120 * p)}, 70%, ${88 - 10 * p}%)`;

  function render(root, data) {
    root.replaceChildren();
    const head = data.attention_head ? `attention of layer ${data.attention_head[0]}, head ${data.attention_head[1]}` : "no attention recorded";
    root.append(el("p", { className: "inspect-meta", textContent:
      `${data.model} · ${data.mode === "chat" ? "asked as a chat message" : "continued as written"} · ` +
      `${data.steps.length} tokens at ${data.tokens_per_s} tokens/s · ${head}` }));
    const text = el("div", { className: "inspect-text" });
    const spans = [];
    for (const t of data.prompt_tokens) {
      const s = el("span", { className: "tok prompt", textContent: shown(t.piece), title: `prompt token ${t.token}` });
      spans.push(s);
      text.append(s);
    }
    const detail = el("div", { className: "inspect-detail" },
      el("p", { className: "muted", textContent: "Hover a generated token to see why it was chosen; click to pin it." }));
    let pinned = null;
    data.steps.forEach((step, i) => {
      const s = el("span", { className: `tok gen${step.end ? " end" : ""}`, textContent: shown(step.piece) });
      s.style.background = colour(step.prob);
      s.dataset.step = String(i);
      s.onmouseenter = () => { if (pinned === null) show(i); };
      s.onclick = () => { pinned = pinned === i ? null : i; show(i); };
      spans.push(s);
      text.append(s);
    });
    text.onmouseleave = () => { if (pinned === null) clear(); };
    root.append(text, detail);

    function clear() {
      for (const s of spans) { s.classList.remove("current"); s.style.outline = ""; if (!s.classList.contains("gen")) s.style.background = ""; }
    }

    function show(i) {
      clear();
      const step = data.steps[i];
      const n = data.prompt_tokens.length + i;
      spans[n].classList.add("current");
      if (step.attention) {
        const top = Math.max(...step.attention);
        step.attention.forEach((w, j) => {
          const strength = top > 0 ? w / top : 0;
          if (spans[j].classList.contains("gen")) spans[j].style.outline = `2px solid rgba(37, 99, 235, ${strength})`;
          else spans[j].style.background = `rgba(37, 99, 235, ${0.75 * strength})`;
        });
      }
      const rows = step.alternatives.map((a) => el("tr", { className: a.token === step.token ? "chosen" : "" },
        el("td", { className: "piece", textContent: JSON.stringify(a.piece) }),
        el("td", {}, el("span", { className: "bar", style: `width:${Math.max(1, 120 * a.prob)}px` })),
        el("td", { textContent: pct(a.prob) })));
      const attended = step.attention
        ? step.attention.map((w, j) => [w, j]).sort((a, b) => b[0] - a[0]).slice(0, 5)
          .map(([w, j]) => `${JSON.stringify(spans[j].textContent)} ${pct(w)}`).join(" · ")
        : "not recorded (pass LAYER:HEAD)";
      detail.replaceChildren(
        el("h3", { textContent: `token ${i + 1}: ${JSON.stringify(step.piece)}${step.end ? " (end of the answer)" : ""}` }),
        el("p", { textContent: `P = ${pct(step.prob)} · entropy ${step.entropy.toFixed(2)} bits · position ${step.position}` +
          (step.prob < 0.5 ? " · the model was unsure here" : "") }),
        el("table", { className: "alts" }, ...rows),
        el("p", { className: "muted", textContent: `attended most to: ${attended}` }));
    }
    return root;
  }
  return { render };
})();
