// The service's page, written by aigc: one form per operation of openapi.json, and its answer shown.
// Everything from the document or an answer reaches the page as text (textContent), never as markup.
"use strict";

const METHODS = ["get", "post", "put", "patch", "delete"];
const base = location.pathname.slice(0, location.pathname.lastIndexOf("/_app/"));
let doc = {};

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "text") node.textContent = String(value);
    else node.setAttribute(key, String(value));
  }
  node.append(...children);
  return node;
}

function resolve(value) {
  for (let hops = 0; value && typeof value.$ref === "string" && hops < 20; hops++) {
    const parts = value.$ref.replace(/^#\//, "").split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    value = parts.reduce((at, part) => (at && Object.prototype.hasOwnProperty.call(at, part) ? at[part] : undefined), doc);
  }
  return value && typeof value === "object" ? value : {};
}

function sample(schema, depth) {
  schema = resolve(schema);
  if (depth > 4) return null;
  if ("example" in schema) return schema.example;
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...schema.allOf.map((s) => sample(s, depth + 1)));
  const kind = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (kind === "array" || schema.items) return [sample(schema.items || {}, depth + 1)];
  if (kind === "object" || schema.properties) {
    const out = {};
    for (const [key, sub] of Object.entries(schema.properties || {})) out[key] = sample(sub, depth + 1);
    return out;
  }
  if (kind === "integer" || kind === "number") return schema.minimum ?? 1;
  if (kind === "boolean") return true;
  return "text";
}

function media(content) {
  const kinds = Object.keys(content || {});
  const order = ["application/json", "multipart/form-data", "application/x-www-form-urlencoded", "text/plain"];
  const kind = order.find((k) => kinds.some((c) => c.split(";")[0].trim().toLowerCase() === k)) || kinds[0];
  const key = kinds.find((c) => c.split(";")[0].trim().toLowerCase() === kind);
  return kind ? { kind, schema: resolve((content[key] || {}).schema) } : null;
}

function credentials(op, headers, query) {
  const token = document.getElementById("token").value.trim();
  const schemes = resolve((doc.components || {}).securitySchemes);
  const wanted = (op.security || doc.security || []).flatMap((r) => Object.keys(r || {}));
  for (const name of wanted) {
    const scheme = resolve(schemes[name]);
    if (!token) return;
    if (scheme.type === "http" || scheme.type === "oauth2") headers["Authorization"] = "Bearer " + token;
    else if (scheme.type === "apiKey" && scheme.in === "header") headers[scheme.name] = token;
    else if (scheme.type === "apiKey" && scheme.in === "query") query.set(scheme.name, token);
    else continue; // a cookie: the browser sends the session itself
    return;
  }
}

function operationForm(path, method, item, op) {
  const form = el("form", { "data-operation": `${method.toUpperCase()} ${path}` });
  const section = el("section", {}, el("h2", { text: `${method.toUpperCase()} ${path}` }));
  if (op.summary || op.description) section.append(el("p", { text: op.summary || op.description }));
  const parameters = [...(item.parameters || []), ...(op.parameters || [])].map(resolve).filter((p) => p.in !== "cookie");
  for (const p of parameters) {
    form.append(el("label", { text: `${p.name} (${p.in}${p.required ? ", required" : ""})` },
      el("input", { "data-in": p.in, "data-name": p.name })));
  }
  const body = media(resolve(op.requestBody).content);
  if (body && (body.kind === "multipart/form-data" || body.kind === "application/x-www-form-urlencoded")) {
    for (const [name, sub] of Object.entries(body.schema.properties || {})) {
      const file = resolve(sub).format === "binary" || resolve(resolve(sub).items).format === "binary";
      form.append(el("label", { text: name }, el("input", { "data-field": name, type: file ? "file" : "text" })));
    }
  } else if (body) {
    const text = body.kind.includes("json") ? JSON.stringify(sample(body.schema, 0), null, 2) : "";
    const area = el("textarea", { "data-body": body.kind, "aria-label": "request body" });
    area.value = text;
    form.append(el("label", { text: `body (${body.kind})` }, area));
  }
  const answer = el("pre", { "aria-label": "answer" });
  form.append(el("button", { type: "submit", text: "Send" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(path, method, op, form, body, answer);
  });
  section.append(form, answer);
  return section;
}

async function send(path, method, op, form, body, answer) {
  let url = path;
  const query = new URLSearchParams();
  const headers = {};
  for (const input of form.querySelectorAll("input[data-in]")) {
    const value = input.value;
    if (input.dataset.in === "path") url = url.replace(`{${input.dataset.name}}`, encodeURIComponent(value));
    else if (value === "") continue;
    else if (input.dataset.in === "query") query.append(input.dataset.name, value);
    else headers[input.dataset.name] = value;
  }
  credentials(op, headers, query);
  const init = { method: method.toUpperCase(), headers, credentials: "same-origin" };
  if (body && body.kind === "multipart/form-data") {
    init.body = new FormData();
    for (const input of form.querySelectorAll("input[data-field]")) {
      if (input.type === "file") for (const f of input.files) init.body.append(input.dataset.field, f);
      else if (input.value !== "") init.body.append(input.dataset.field, input.value);
    }
  } else if (body && body.kind === "application/x-www-form-urlencoded") {
    init.body = new URLSearchParams();
    for (const input of form.querySelectorAll("input[data-field]")) init.body.append(input.dataset.field, input.value);
  } else if (body) {
    headers["Content-Type"] = body.kind;
    init.body = form.querySelector("textarea[data-body]").value;
  }
  const search = query.toString();
  answer.textContent = "…";
  try {
    const response = await fetch(base + url + (search ? "?" + search : ""), init);
    const text = await response.text();
    answer.className = response.ok ? "status-ok" : "status-bad";
    answer.textContent = `${response.status} ${response.statusText}\n${text}`;
    remember(text);
  } catch (error) {
    answer.className = "status-bad";
    answer.textContent = `the request failed: ${error}`;
  }
}

function remember(text) {
  // A sign-in that answers with a token: keep it (in this page only) for the secured operations.
  try {
    const data = JSON.parse(text);
    const token = data && (data.token || data.access_token || data.accessToken);
    if (typeof token === "string") document.getElementById("token").value = token;
  } catch (_) { /* not JSON */ }
}

async function start() {
  const main = document.getElementById("operations");
  try {
    doc = await (await fetch("openapi.json")).json();
  } catch (error) {
    main.textContent = `the interface could not be loaded: ${error}`;
    return;
  }
  const info = doc.info || {};
  document.getElementById("title").textContent = info.title || "Service";
  document.title = info.title || "Service";
  document.getElementById("description").textContent = info.description || "";
  main.replaceChildren();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    for (const method of METHODS) {
      if (item && item[method]) main.append(operationForm(path, method, item, item[method]));
    }
  }
}

start();
