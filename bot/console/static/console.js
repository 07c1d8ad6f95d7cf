"use strict";
// The agent console. Everything shown comes from the JSON API and is put into the page with textContent
// (never innerHTML), so whatever a citizen typed is shown as text.

const ME = document.querySelector('meta[name="agent-id"]').content;
const REASONS = {angry: "情绪激动", request_human: "要求人工", unresolved: "未解决", complaint: "投诉举报"};
const STATUSES = {queued: "排队中", claimed: "处理中", closed: "已关闭"};
const ATTACHMENT_TYPES = {image: "图片", voice: "语音", video: "视频", shortvideo: "小视频", file: "文件"};
const CHANGES = {queued: "进入队列", claimed: "认领", transferred: "转派", first_reply: "首次回复", closed: "关闭",
  rated: "群众评价", escalated: "超时升级", send_failed: "微信发送失败"};
let view = "queued";
let current = null; // the ticket number on the right

function minutes(seconds) {
  if (seconds < 60) return `${seconds} 秒`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} 分钟`;
  return `${Math.floor(seconds / 3600)} 小时 ${Math.floor((seconds % 3600) / 60)} 分`;
}

function when(epoch) {
  if (!epoch) return "";
  return new Date(Number(epoch) * 1000).toLocaleString("zh-CN", {hour12: false});
}

async function refreshList() {
  if (view === "supervise") return refreshSupervision();
  const {ok, data} = await api("GET", `/api/tickets?status=${view}`);
  if (!ok) return;
  const rows = document.getElementById("ticket-rows");
  rows.replaceChildren();
  for (const t of data.tickets) {
    const tr = el("tr");
    tr.className = `p${t.priority}`;
    tr.dataset.ticket = t.id;
    tr.append(
      el("td", t.id), el("td", REASONS[t.reason] || t.reason), el("td", t.priority),
      el("td", minutes(t.waiting_seconds)), el("td", Number(t.anger || 0).toFixed(2)),
      el("td", t.summary), el("td", t.agent || "—"),
    );
    tr.addEventListener("click", () => openTicket(t.id));
    rows.append(tr);
  }
  document.getElementById("list-empty").hidden = data.tickets.length > 0;
  if (view === "queued") document.getElementById("count-queued").textContent = `(${data.tickets.length})`;
  if (view === "mine") document.getElementById("count-mine").textContent = `(${data.tickets.length})`;
}

async function refreshSupervision() {
  const [overview, agents] = await Promise.all([api("GET", "/api/overview"), api("GET", "/api/agents")]);
  if (!overview.ok || !agents.ok) return;
  const o = overview.data;
  document.getElementById("overview").textContent =
    `排队 ${o.queue_length} 件，最长等待 ${minutes(o.longest_wait_seconds)}，在线坐席 ${o.agents_online} 人`;
  const rows = document.getElementById("agent-rows");
  rows.replaceChildren();
  for (const a of agents.data.agents) {
    const tr = el("tr");
    tr.append(el("td", a.agent_id), el("td", a.name), el("td", a.role), el("td", a.online ? "在线" : "离线"),
      el("td", (a.holding || []).join("、") || "—"));
    rows.append(tr);
  }
  const alerts = document.getElementById("alerts");
  alerts.replaceChildren(...o.alerts.map((a) => el("li", `${when(a.at)} 工单 ${a.number} 超时未认领，已提升优先级`)));
}

function chatLine(who, text, at, extra) {
  const li = el("li", null, who === "citizen" ? "citizen" : who === "bot" ? "bot" : "agent");
  const label = who === "citizen" ? "群众" : who === "bot" ? "机器人" : `坐席 ${who}`;
  li.append(el("span", `${label} ${when(at)}${extra ? " · " + extra : ""}`, "who"), el("span", text, "text"));
  return li;
}

async function openTicket(number) {
  current = number;
  const {ok, data: t} = await api("GET", `/api/tickets/${encodeURIComponent(number)}`);
  if (!ok) return;
  document.getElementById("ticket").hidden = false;
  document.getElementById("t-number").textContent = t.number;
  document.getElementById("t-status").textContent = STATUSES[t.status] || t.status;
  const position = t.position ? `，排第 ${t.position} 位` : "";
  document.getElementById("t-meta").textContent =
    `${REASONS[t.reason] || t.reason} · ${t.category} · 优先级 ${t.priority} · 情绪 ${Number(t.anger || 0).toFixed(2)}` +
    ` · 已等待 ${minutes(t.waiting_seconds)}${position} · 处理人 ${t.agent || "无"} · 群众 ${t.openid}`;
  const failure = document.getElementById("t-failure");
  failure.hidden = !t.send_failure;
  failure.textContent = t.send_failure ? `微信未能送达最近的回复（${t.send_failure}），内容已保留在下方，请电话联系群众。` : "";
  const unconfirmed = document.getElementById("t-confirmed");
  unconfirmed.hidden = t.confirmed !== false;
  unconfirmed.textContent = t.confirmed === false
    ? "群众填写投诉登记后未确认即离开，系统已按其提供的信息自动登记，请核实后处理。" : "";
  document.getElementById("t-summary").textContent = t.summary || "（无）";
  const attachments = t.attachments || [];
  document.getElementById("t-attachments").replaceChildren(...(attachments.length ? attachments.map((a) =>
    el("li", `${when(a.at)} ${ATTACHMENT_TYPES[a.type] || a.type}（MediaId ${a.media_id}）`)) : [el("li", "（无）")]));
  document.getElementById("t-understanding").textContent = t.intent
    ? `意图 ${t.intent}，置信度 ${Number(t.confidence).toFixed(2)}` : "（投诉登记表）";
  const details = document.getElementById("t-details");
  details.replaceChildren();
  const labels = {what: "事由", shop: "商家", address: "地址", product: "商品", price: "价格", time: "时间"};
  for (const [key, value] of Object.entries(t.details || {})) details.append(el("dt", labels[key] || key), el("dd", value));
  document.getElementById("t-transcript").replaceChildren(...(t.transcript || []).map((turn) =>
    chatLine(turn.who, turn.text, turn.at, turn.intent ? `${turn.intent} ${Number(turn.confidence).toFixed(2)}` : "")));
  document.getElementById("t-messages").replaceChildren(...(t.messages || []).map((m) => chatLine(m.who, m.text, m.at)));
  document.getElementById("t-history").replaceChildren(...(t.history || []).map((h) =>
    el("li", `${when(h.at)} ${h.who} ${CHANGES[h.what] || h.what} ${h.note || ""}`)));
  const w = t.send_window;
  document.getElementById("t-window").textContent = w.open
    ? `客服消息窗口至 ${when(w.ends_at)}，已用 ${w.used}/${w.limit} 条` : "48小时客服窗口已关闭：回复将无法送达，请电话联系";
  const mine = t.agent === ME;
  document.getElementById("claim").hidden = t.status !== "queued";
  document.getElementById("close").disabled = t.status === "closed";
  document.getElementById("transfer").disabled = t.status !== "claimed";
  document.getElementById("reply-box").hidden = !(t.status === "claimed" && mine);
}

async function act(method, path, body) {
  const result = await api(method, path, body);
  document.getElementById("reply-error").textContent = result.ok ? "" : (result.data.message || "操作失败");
  await refreshList();
  if (current) await openTicket(current);
  return result;
}

async function setup() {
  document.getElementById("logout").addEventListener("click", async () => {
    await api("DELETE", "/api/session");
    window.location.assign("/console/login");
  });
  const tabs = document.getElementById("tabs");
  if (!tabs) return; // a role without tickets
  for (const button of tabs.querySelectorAll("button")) {
    button.addEventListener("click", () => {
      view = button.dataset.view;
      for (const b of tabs.querySelectorAll("button")) b.classList.toggle("active", b === button);
      document.getElementById("ticket-table").hidden = view === "supervise";
      document.getElementById("supervise").hidden = view !== "supervise";
      refreshList();
    });
  }
  const {data} = await api("GET", "/api/canned");
  const canned = document.getElementById("canned");
  for (const c of data.canned || []) {
    const option = el("option", c.title);
    option.value = c.text;
    canned.append(option);
  }
  canned.addEventListener("change", () => {
    if (canned.value) document.getElementById("reply-text").value = canned.value;
    canned.value = "";
  });
  const resolution = document.getElementById("resolution");
  for (const [code, label] of Object.entries(data.resolutions || {})) {
    if (code === "citizen_cancelled") continue;
    const option = el("option", label);
    option.value = code;
    resolution.append(option);
  }
  const agents = await api("GET", "/api/agents");
  const transferTo = document.getElementById("transfer-to");
  for (const a of agents.data.agents || []) {
    if (a.agent_id === ME) continue;
    const option = el("option", `${a.agent_id} ${a.name}${a.online ? "（在线）" : ""}`);
    option.value = a.agent_id;
    transferTo.append(option);
  }
  document.getElementById("claim").addEventListener("click", () => act("POST", `/api/tickets/${current}/claim`));
  document.getElementById("close").addEventListener("click", () =>
    act("POST", `/api/tickets/${current}/close`, {resolution: resolution.value}));
  document.getElementById("transfer").addEventListener("click", () =>
    act("POST", `/api/tickets/${current}/transfer`, {agent_id: transferTo.value}));
  document.getElementById("correct").addEventListener("click", async () => {
    const intent = document.getElementById("correct-intent").value;
    const result = await api("POST", `/api/tickets/${current}/correction`, {intent});
    document.getElementById("correct-note").textContent = result.ok ? "已标注" : (result.data.message || "标注失败");
  });
  document.getElementById("send").addEventListener("click", async () => {
    const box = document.getElementById("reply-text");
    const result = await act("POST", `/api/tickets/${current}/reply`, {text: box.value});
    if (result.ok) box.value = "";
  });
  await refreshList();
  listen();
}

function listen() {
  const state = document.getElementById("live-state");
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => { state.textContent = "实时更新中"; });
  source.addEventListener("error", () => { state.textContent = "连接中断，正在重连…"; });
  source.addEventListener("ticket", async (event) => {
    const change = JSON.parse(event.data);
    await refreshList();
    if (current && change.number === current) await openTicket(current);
  });
}

setup();
