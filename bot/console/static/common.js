"use strict";
// Shared by every console page (loaded first): the CSRF token, building nodes with textContent only (never
// innerHTML, so whatever a citizen typed stays text), and calling the JSON API with the session.

const CSRF = document.querySelector('meta[name="csrf-token"]')?.content || "";

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": CSRF},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    window.location.assign("/console/login");
    throw new Error("login required");
  }
  const data = await response.json().catch(() => ({}));
  return {ok: response.ok, status: response.status, data};
}
