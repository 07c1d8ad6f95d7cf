"use strict";
// The WeChat simulator (development only). Everything shown is put into the page with textContent (never
// innerHTML, el() from the console's common.js): the bot's and the agents' texts are shown as WeChat shows them.

const chat = document.getElementById("chat");
const log = document.getElementById("log");
const text = document.getElementById("text");
const send = document.getElementById("send");
const menu = document.getElementById("menu");
let openid = newOpenid(); // each opening of the page is a new citizen
let seenSends = 0;

function newOpenid() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return "o_sim_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function bubble(who, content, extraClass) {
  const item = el("li", null, who + (extraClass ? " " + extraClass : ""));
  if (who !== "system") item.append(el("span", who === "me" ? "我" : "12315", "avatar"));
  const body = el("div", null, "bubble");
  if (content instanceof Node) body.append(content); else body.textContent = content;
  item.append(body);
  chat.append(item);
  chat.scrollTop = chat.scrollHeight;
  return item;
}

function logLine(line) {
  log.prepend(el("li", new Date().toLocaleTimeString("zh-CN", {hour12: false}) + " " + line));
}

async function push(payload, shown) {
  if (shown !== null) bubble("me", shown);
  send.disabled = true;
  try {
    const response = await fetch("/simulator/api/push", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({openid, ...payload}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      bubble("system", data.error || `推送失败（HTTP ${response.status}）`);
      logLine(`${payload.kind}: HTTP ${response.status}`);
      return;
    }
    const statuses = data.statuses.map((s) => (s === null ? "超时" : s)).join(" → ");
    logLine(`${payload.kind}: ${statuses}，${data.ms} ms，${data.reply === null ? "success（稍后客服消息）" : "被动回复"}`);
    if (data.reply !== null) bubble("bot", data.reply, "passive");
    else if (data.statuses.length && data.statuses.every((s) => s === null)) {
      bubble("system", "三次投递都超时：真实的微信此时会显示“该公众号暂时无法提供服务”");
    }
  } catch (error) {
    bubble("system", "网络错误：" + error);
  } finally {
    send.disabled = false;
  }
}

// One poll at a time (the next is scheduled when this one ends), and only for the citizen still shown.
async function pollSends() {
  const asked = openid;
  try {
    const response = await fetch(`/simulator/api/sends?openid=${encodeURIComponent(asked)}`);
    const data = await response.json();
    if (asked === openid) {
      for (const message of data.sends.slice(seenSends)) {
        bubble("bot", message.msgtype === "text" ? message.content : `[${message.msgtype}]`, "outbox");
        logLine("客服消息（outbox）");
      }
      seenSends = Math.max(seenSends, data.sends.length);
    }
  } catch (error) {
    // the gateway restarting: try again on the next tick
  } finally {
    setTimeout(pollSends, 1000);
  }
}

function menuButton(button) {
  const cell = el("div");
  const top = el("button", button.name);
  top.type = "button";
  cell.append(top);
  if (button.sub_button) {
    const sub = el("div", null, "sub");
    for (const leaf of button.sub_button) {
      const item = el("button", leaf.name);
      item.type = "button";
      item.dataset.key = leaf.key || leaf.url || "";
      item.addEventListener("click", () => {
        sub.classList.remove("open");
        pressLeaf(leaf);
      });
      sub.append(item);
    }
    cell.append(sub);
    top.addEventListener("click", () => {
      for (const other of menu.querySelectorAll(".sub.open")) if (other !== sub) other.classList.remove("open");
      sub.classList.toggle("open");
    });
  } else {
    top.addEventListener("click", () => pressLeaf(button));
  }
  return cell;
}

function pressLeaf(leaf) {
  if (leaf.type === "view") {
    bubble("system", `（打开网页 ${leaf.url}）`);
    push({kind: "view", key: leaf.url}, null);
  } else {
    bubble("system", `点击了菜单「${leaf.name}」`);
    push({kind: "click", key: leaf.key}, null);
  }
}

async function loadMenu() {
  const response = await fetch("/simulator/api/menu");
  const data = await response.json();
  menu.replaceChildren(...data.button.map(menuButton));
}

function start() {
  document.getElementById("openid").textContent = openid;
  seenSends = 0;
  chat.replaceChildren();
  bubble("system", "已关注公众号");
  push({kind: "subscribe"}, null);
}

document.getElementById("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const content = text.value.trim();
  if (!content) return;
  text.value = "";
  push({kind: "text", text: content}, content);
});

document.getElementById("image").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const picture = document.createElement("img");
  picture.src = URL.createObjectURL(file);
  picture.alt = file.name;
  bubble("me", picture);
  push({kind: "image"}, null);
  event.target.value = "";
});

document.getElementById("menu-toggle").addEventListener("click", () => menu.classList.toggle("hidden"));
document.getElementById("new-citizen").addEventListener("click", () => {
  openid = newOpenid();
  start();
});

loadMenu();
start();
setTimeout(pollSends, 1000);
