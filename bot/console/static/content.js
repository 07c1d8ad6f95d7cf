"use strict";
// The maintainers' page. Data comes from /api/content and goes into the page with textContent only.

const ACTIONS = {create: "新增", edit: "修改", delete: "删除", import: "导入", seed: "初始", rollback: "撤销"};
let content = {sections: {}, previews: {}};

const $ = (id) => document.getElementById(id);

function showPreview(text) {
  $("preview").textContent = text;
  $("preview-size").textContent = text ? `${new TextEncoder().encode(text).length} / 2048 字节` : "";
}

function say(prefix, result, okText) {
  $(`${prefix}-error`).textContent = result.ok ? "" : (result.data.message || "操作失败");
  $(`${prefix}-status`).textContent = result.ok ? okText : "";
}

// ---- answers ----------------------------------------------------------------------------------

function answerDraft() {
  const draft = {text: $("answer-text").value};
  if ($("section").value === "booking") {
    draft.channels = $("rule-channels").value.split("\n").map((line) => line.trim()).filter(Boolean);
    for (const name of ["opens", "quantity", "eligibility"]) draft[name] = $(`rule-${name}`).value;
  }
  if ($("section").value === "pickup") {
    draft.points = $("answer-points").value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const [name, address, hours] = line.split(/[|｜]/).map((part) => (part || "").trim());
      return {name, address, hours};
    });
  }
  return draft;
}

function fillAnswer() {
  const section = $("section").value;
  const value = content.sections[section] || {};
  $("answer-text").value = value.text || "";
  $("answer-points").value = (value.points || []).map((p) => `${p.name}｜${p.address}｜${p.hours}`).join("\n");
  $("points-box").hidden = section !== "pickup";
  $("rules-box").hidden = section !== "booking";
  $("rule-channels").value = (value.channels || []).join("\n");
  for (const name of ["opens", "quantity", "eligibility"]) $(`rule-${name}`).value = value[name] || "";
  showPreview(content.previews[section] || "");
}

$("section").addEventListener("change", fillAnswer);
$("answer-preview").addEventListener("click", async () => {
  const result = await api("POST", "/api/content/preview", {section: $("section").value, value: answerDraft()});
  say("answer", result, "");
  if (result.ok) showPreview(result.data.text);
});
$("answer-save").addEventListener("click", async () => {
  const result = await api("PUT", `/api/content/${$("section").value}`, answerDraft());
  say("answer", result, result.data.change ? "已发布，市民的下一条提问即用新答复" : "内容没有变化");
  if (result.ok) await load();
});

// ---- announcements ----------------------------------------------------------------------------

function announcementDraft() {
  return {
    id: $("a-id").value.trim(), title: $("a-title").value, authority: $("a-authority").value,
    published: $("a-published").value.trim(), expires: $("a-expires").value.trim(),
    tags: $("a-tags").value, text: $("a-text").value,
  };
}

function fillAnnouncement(item) {
  $("a-id").value = item.id || "";
  $("a-title").value = item.title || "";
  $("a-authority").value = item.authority || "";
  $("a-published").value = item.published || "";
  $("a-expires").value = item.expires || "";
  $("a-tags").value = (item.tags || []).join("，");
  $("a-text").value = item.text || "";
  $("notify-box").hidden = true;
  $("a-error").textContent = "";
  $("a-status").textContent = "";
}

function state(item, today) {
  if (item.published.slice(0, 10) > today) return "待发布";
  if (item.expires && item.expires.slice(0, 10) < today) return "已过期";
  return "有效";
}

function renderAnnouncements() {
  const rows = $("announcement-rows");
  rows.replaceChildren();
  const today = content.today || new Date().toISOString().slice(0, 10);
  for (const item of content.sections.announcements || []) {
    const row = el("tr");
    row.dataset.id = item.id;
    for (const value of [item.id, item.title, item.published, item.expires || "长期", state(item, today)]) {
      row.append(el("td", value));
    }
    row.addEventListener("click", () => {
      for (const other of rows.children) other.classList.toggle("selected", other === row);
      fillAnnouncement(item);
    });
    rows.append(row);
  }
}

$("announcement-new").addEventListener("click", () => {
  const today = content.today || new Date().toISOString().slice(0, 10);
  fillAnnouncement({id: `${today.replaceAll("-", "")}-1`, published: today});
});
$("a-preview").addEventListener("click", async () => {
  const result = await api("POST", "/api/content/preview", {section: "announcement", value: announcementDraft()});
  say("a", result, "");
  if (result.ok) showPreview(result.data.text);
});
$("a-save").addEventListener("click", async () => {
  const draft = announcementDraft();
  const result = await api("PUT", `/api/content/announcements/${encodeURIComponent(draft.id)}`, draft);
  say("a", result, result.data.change ? "公告已发布" : "内容没有变化");
  if (result.ok) await load();
});
$("a-delete").addEventListener("click", async () => {
  const id = $("a-id").value.trim();
  if (!id || !window.confirm(`删除公告 ${id}？（可在修改记录中撤销）`)) return;
  const result = await api("DELETE", `/api/content/announcements/${encodeURIComponent(id)}`);
  say("a", result, "公告已删除");
  if (result.ok) await load();
});
$("a-audience").addEventListener("click", async () => {
  const id = $("a-id").value.trim();
  const result = await api("GET", `/api/content/announcements/${encodeURIComponent(id)}/audience`);
  say("a", result, "");
  if (!result.ok) return;
  $("notify-count").textContent =
    `将通过客服消息通知 ${result.data.count} 位近 48 小时咨询过相关问题、仍可接收消息的市民（每人只通知一次）。`;
  showPreview(result.data.text);
  $("notify-box").hidden = false;
  $("notify-send").disabled = result.data.count === 0;
});
$("notify-send").addEventListener("click", async () => {
  const id = $("a-id").value.trim();
  const result = await api("POST", `/api/content/announcements/${encodeURIComponent(id)}/notify`);
  say("a", result, `已排队发送 ${result.data.queued} 条通知`);
  $("notify-box").hidden = true;
});

// ---- history ----------------------------------------------------------------------------------

function brief(value) {
  if (value === null || value === undefined) return "（无）";
  if (Array.isArray(value)) return `${value.length} 条公告：` + value.map((a) => a.title).join("；");
  if (typeof value === "object" && !Array.isArray(value)) return value.title ? `${value.title}\n${value.text}` : value.text || JSON.stringify(value);
  return JSON.stringify(value);
}

async function loadHistory() {
  const result = await api("GET", "/api/content/history");
  const rows = $("history-rows");
  rows.replaceChildren();
  for (const change of result.data.changes || []) {
    const row = el("tr");
    row.dataset.change = change.id;
    const when = new Date(change.at * 1000).toLocaleString("zh-CN", {hour12: false});
    const target = change.item ? `公告 ${change.item}` : (content.names || {})[change.section] || change.section;
    row.append(el("td", when), el("td", change.who), el("td", ACTIONS[change.action] || change.action),
      el("td", target + (change.note ? `（${change.note}）` : "")), el("td", brief(change.before), "diff"),
      el("td", brief(change.after), "diff"));
    const cell = el("td");
    row.append(cell);
    rows.append(row);
    if (!change.item && (change.before === null || change.before === undefined)) continue; // nothing to go back to
    const undo = el("button", "撤销");
    undo.addEventListener("click", async () => {
      if (!window.confirm("撤销这次修改，恢复修改前的内容？")) return;
      const undone = await api("POST", `/api/content/history/${encodeURIComponent(change.id)}/rollback`);
      if (!undone.ok) window.alert(undone.data.message || "撤销失败");
      await load();
    });
    cell.append(undo);
  }
}

async function load() {
  const result = await api("GET", "/api/content");
  if (!result.ok) return;
  content = result.data;
  fillAnswer();
  renderAnnouncements();
  await loadHistory();
}

$("logout").addEventListener("click", async () => {
  await api("DELETE", "/api/session");
  window.location.assign("/console/login");
});

load();
