"use strict";
// The daily complaint hot-spot report (每日投诉热点) for supervisors. Everything shown comes from
// /api/report and is put into the page with textContent (never innerHTML): shop names and unanswered
// messages are what citizens typed.

const form = document.getElementById("report-form");
const dateInput = document.getElementById("report-date");
const errorLine = document.getElementById("report-error");
const loading = document.getElementById("report-loading");
let latest = 0; // only the answer to the latest request is shown, whichever arrives last

function fill(id, rows) {
  const body = document.getElementById(id);
  const columns = body.closest("table").querySelectorAll("thead th").length;
  const lines = rows.length ? rows : [["暂无数据", ...Array(columns - 1).fill("")]];
  body.replaceChildren(...lines.map((cells) => {
    const tr = el("tr");
    tr.append(...cells.map((cell) => el("td", cell)));
    return tr;
  }));
}

function percent(share) {
  return `${(share * 100).toFixed(1)}%`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} 秒`;
  if (whole < 3600) return `${Math.floor(whole / 60)} 分 ${whole % 60} 秒`;
  return `${Math.floor(whole / 3600)} 小时 ${Math.floor((whole % 3600) / 60)} 分`;
}

function number(value, digits) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

function change(spot) {
  if (spot.trend === "新出现" || spot.trend === "持平") return spot.trend;
  return `${spot.trend} ${spot.change > 0 ? "+" : ""}${spot.change.toFixed(1)}`;
}

function hotRow(spot) {
  return [spot.kind_label, spot.name, spot.today, spot.baseline_mean.toFixed(2), change(spot)];
}

function show(data) {
  dateInput.value = data.day;
  document.getElementById("report-summary").textContent =
    `${data.day} 全天（${data.timezone}）：群众消息 ${data.messages} 条，来自 ${data.citizens} 位群众；` +
    `当日新建工单 ${data.tickets} 张。`;
  fill("rows-per-hour", data.per_hour.map((count, hour) =>
    [`${String(hour).padStart(2, "0")}:00-${String(hour + 1).padStart(2, "0")}:00`, count]));
  fill("rows-intents", data.intents.map((i) => [i.label, i.count, percent(i.share)]));
  fill("rows-categories", data.categories.map((c) => [c.category, c.tickets, c.unconfirmed]));
  fill("rows-hot-top", data.hot_spots.top.map(hotRow));
  fill("rows-hot-rising", data.hot_spots.rising.map(hotRow));
  fill("rows-handoffs", data.handoffs.map((h) => [h.label, h.count, percent(h.share)]));
  fill("rows-shifts", data.shifts.map((s) => [
    s.shift, s.hours || "—", s.staff, s.tickets, duration(s.waiting_median), duration(s.waiting_p90),
    duration(s.handling_median), number(s.per_agent, 1), s.unclaimed,
  ]));
  const s = data.satisfaction;
  const rate = s.asked ? `${Math.round((s.answered / s.asked) * 100)}%` : "—";
  document.getElementById("satisfaction-summary").textContent =
    `邀请评价 ${s.asked} 次（已关闭且有坐席处理的工单），收到评价 ${s.answered} 条（${rate}），` +
    `平均 ${number(s.mean, 2)} 分；1 至 5 分依次为 ${s.distribution.join("、")} 条。`;
  fill("rows-not-understood", data.not_understood.map((u, index) =>
    [index + 1, u.text, u.count, u.citizens, u.intent]));
  for (const [name, url] of Object.entries(data.charts)) {
    const image = document.getElementById(`chart-${name}`);
    if (!image) continue;
    image.alt = data.chart_titles[name] || name;
    image.src = url;
  }
}

async function load(day) {
  const request = ++latest;
  errorLine.textContent = "";
  loading.hidden = false;
  try {
    const query = day ? `?date=${encodeURIComponent(day)}` : "";
    const response = await fetch(`/api/report${query}`, {credentials: "same-origin"});
    if (response.status === 401) {
      window.location.assign("/console/login");
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (request !== latest) return;
    if (!response.ok) {
      errorLine.textContent = data.message || "报告加载失败，请稍后重试";
      return;
    }
    show(data);
    window.history.replaceState(null, "", `/console/report?date=${encodeURIComponent(data.day)}`);
  } catch (failure) {
    if (request === latest) errorLine.textContent = "网络异常，报告未能加载";
  } finally {
    if (request === latest) loading.hidden = true;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  load(dateInput.value);
});
load(new URLSearchParams(window.location.search).get("date") || "");
