"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const response = await fetch("/api/session", {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({
      agent_id: document.getElementById("agent_id").value.trim(),
      password: document.getElementById("password").value,
    }),
  });
  if (response.ok) {
    window.location.assign("/console");
    return;
  }
  const body = await response.json().catch(() => ({}));
  error.textContent = body.message || "登录失败";
});
