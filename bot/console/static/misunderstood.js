"use strict";
// What the bot did not understand, grouped; a maintainer labels a group and exports the examples.

const SOURCES = {fallback: "兜底", low_confidence: "低置信度", unresolved: "未解决转人工", correction: "坐席更正"};
const $ = (id) => document.getElementById(id);

function labeller(group, intents) {
  const cell = el("td");
  const select = el("select");
  select.append(el("option", "（未标注）"));
  select.firstChild.value = "";
  for (const intent of intents) {
    const option = el("option", intent);
    option.value = intent;
    select.append(option);
  }
  select.value = group.label || group.corrected || "";
  const save = el("button", "标注");
  const note = el("span", group.label ? "已标注" : "", "ok");
  save.addEventListener("click", async () => {
    const result = await api("POST", `/api/misunderstood/${encodeURIComponent(group.key)}/label`,
      {intent: select.value, texts: group.examples});
    note.textContent = result.ok ? (select.value ? `已标注 ${result.data.labelled} 句` : "已取消标注") : (result.data.message || "失败");
  });
  cell.append(select, save, note);
  return cell;
}

async function load() {
  const result = await api("GET", `/api/misunderstood?days=${$("days").value}`);
  const rows = $("group-rows");
  rows.replaceChildren();
  const groups = result.data.groups || [];
  $("groups-empty").hidden = groups.length > 0;
  for (const group of groups) {
    const row = el("tr");
    row.dataset.key = group.key;
    const sources = Object.entries(group.sources).map(([k, v]) => `${SOURCES[k] || k} ${v}`).join("，");
    row.append(el("td", group.count), el("td", group.text), el("td", group.examples.join("\n"), "diff"),
      el("td", sources), el("td", group.predicted), el("td", group.corrected), labeller(group, result.data.intents));
    rows.append(row);
  }
}

$("days").addEventListener("change", load);
load();
