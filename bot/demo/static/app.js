// 督办 Bot demo page. Talks to the emulator's control API (/_emulator/...) as a Telegram client
// would, and to the demo's own routes (/_demo/...) for people and the demo calendar.
// Nothing the bot or a user wrote is ever parsed as HTML: messages arrive as plain text plus
// Telegram entities, and are built into DOM nodes with textContent, for the entity types of
// Telegram's HTML tag set only (b, i, u, s, code, pre, a, blockquote, tg-spoiler).
"use strict";

const POLL_SECONDS = 25;
const WEEKDAYS = "日一二三四五六";
const SAMPLE_NEW = [
  "/new",
  "事项：城区积水点排查整治",
  "要求：逐点建立台账，明确整改措施和完成时间。",
  "依据：市政府第12次常务会议纪要",
  "单位：住建局",
  "期限：1天",
].join("\n");

const $ = (id) => document.getElementById(id);
const state = {
  people: [],
  current: null,          // the person whose chat is shown
  transcripts: new Map(), // chat id -> last transcript {version, entries}
  versions: new Map(),    // chat id -> latest version the server reported
  seen: new Map(),        // chat id -> version the visitor has looked at
  pendingPresses: new Set(), // callback ids pressed here, whose answer should pop up
  replyTo: null,          // message id being replied to
  drafts: new Map(),      // chat id -> unsent text, kept per chat as Telegram does
  globalVersion: -1,
  offline: false,
  timeZone: "Asia/Shanghai", // the office's, from /_demo/calendar: times read as in the office
  follow: true,           // the chat keeps showing the newest message (until scrolled up)
  userScroll: false,      // the person has scrolled the chat themselves
};

const TOUCH = window.matchMedia("(pointer: coarse)");

// ------------------------------------------------------------------ server

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data;
  try {
    data = await response.json();
  } catch (_) {
    throw new Error(`HTTP ${response.status}`);
  }
  if (!data.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data.result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const chatPath = (suffix) => `/_emulator/chats/${state.current.chat_id}${suffix}`;
const fileUrl = (fileId) => `/_emulator/files/${encodeURIComponent(fileId)}`;

// ------------------------------------------------------------------ small helpers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

let toastTimer = null;
function toast(text, alert = false) {
  const box = $("toast");
  box.textContent = text;
  box.classList.toggle("alert", alert);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, alert ? 6000 : 3000);
}
$("toast").addEventListener("click", () => { $("toast").hidden = true; });

function safeHref(url) {
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:", "tg:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  } catch (_) {
    return null;
  }
}

function formatDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const weekday = WEEKDAYS[new Date(y, m - 1, d).getDay()];
  return `${y}年${m}月${d}日 周${weekday}`;
}

function officeParts(unix) {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: state.timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  return Object.fromEntries(format.formatToParts(new Date(unix * 1000)).map((p) => [p.type, p.value]));
}

function formatTime(unix) {
  const t = officeParts(unix);
  return `${t.hour}:${t.minute}`;
}

function officeDay(unix) {
  const t = officeParts(unix);
  return `${t.year}-${t.month}-${t.day}`;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function avatar(node, person) {
  node.textContent = person.name.slice(0, 1);
  const hue = (person.user_id * 47) % 360;
  node.style.setProperty("--avatar", `hsl(${hue} 45% 52%)`);
}

function describe(person) {
  const parts = [person.unit || person.section, ...person.roles.map((r) => r.label)].filter(Boolean);
  return [...new Set(parts)].join(" · ");
}

// ------------------------------------------------------------------ Telegram formatting

// Entity type -> how to build it; anything else is shown as plain text.
const ENTITY_BUILDERS = {
  bold: () => el("b"),
  italic: () => el("i"),
  underline: () => el("u"),
  strikethrough: () => el("s"),
  code: () => el("code"),
  pre: () => {
    const pre = el("pre");
    const code = el("code");
    pre.append(code);
    return { outer: pre, inner: code };
  },
  blockquote: () => el("blockquote"),
  expandable_blockquote: () => el("blockquote"),
  spoiler: () => {
    const span = el("span", "spoiler");
    span.title = "点击显示";
    span.addEventListener("click", (event) => { event.stopPropagation(); span.classList.add("shown"); });
    return span;
  },
  text_link: (entity) => link(entity.url),
  url: (entity, slice) => link(slice),
};

function link(url) {
  const href = safeHref(url);
  if (!href) return el("span");
  const a = el("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

// Entity offsets and lengths count UTF-16 code units, which is what JavaScript strings index by.
function formatted(text, entities) {
  const list = (entities || [])
    .filter((e) => ENTITY_BUILDERS[e.type] && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  const root = document.createDocumentFragment();
  build(root, 0, text.length, list);
  return root;

  function build(parent, start, end, inside) {
    let pos = start;
    let i = 0;
    while (i < inside.length) {
      const entity = inside[i];
      const stop = Math.min(entity.offset + entity.length, end);
      if (entity.offset < pos) { i += 1; continue; } // overlaps its neighbour: drop it
      if (entity.offset > pos) parent.append(text.slice(pos, entity.offset));
      const nested = [];
      let j = i + 1;
      while (j < inside.length && inside[j].offset < stop) {
        if (inside[j].offset + inside[j].length <= stop) nested.push(inside[j]);
        j += 1;
      }
      const made = ENTITY_BUILDERS[entity.type](entity, text.slice(entity.offset, stop));
      const outer = made.outer || made;
      build(made.inner || made, entity.offset, stop, nested);
      parent.append(outer);
      pos = stop;
      i = j;
    }
    if (pos < end) parent.append(text.slice(pos, end));
  }
}

function plainSnippet(message) {
  if (!message) return "…";
  const text = message.text ?? message.caption ?? "";
  const file = (message.files || [])[0];
  const head = file ? (file.kind === "photo" ? "[图片] " : file.kind === "sticker" ? (message.sticker_emoji || "") : `[文件] ${file.file_name || ""} `) : "";
  return (head + text).replace(/\s+/g, " ").trim().slice(0, 80) || "…";
}

// ------------------------------------------------------------------ people

function renderPeople() {
  const list = $("people-list");
  list.replaceChildren();
  let group = null;
  for (const person of state.people) {
    const heading = person.roles.length ? person.roles[0].label : "";
    if (heading !== group) {
      list.append(el("h2", null, heading));
      group = heading;
    }
    const button = el("button", "person");
    button.type = "button";
    button.dataset.userId = person.user_id;
    const face = el("span", "avatar");
    avatar(face, person);
    const who = el("span", "who");
    who.append(el("div", "name", person.name), el("div", "role", describe(person)));
    const badge = el("span", "badge", "新");
    badge.hidden = true;
    button.append(face, who, badge);
    button.addEventListener("click", () => select(person));
    list.append(button);
  }
  renderBadges();
}

function renderBadges() {
  for (const button of document.querySelectorAll(".person")) {
    const id = Number(button.dataset.userId);
    const current = state.current && state.current.chat_id === id;
    button.setAttribute("aria-current", current ? "true" : "false");
    const unread = !current && (state.versions.get(id) ?? 0) > (state.seen.get(id) ?? 0);
    button.querySelector(".badge").hidden = !unread;
  }
}

async function select(person) {
  if (state.current) state.drafts.set(state.current.chat_id, $("text").value);
  $("text").value = state.drafts.get(person.chat_id) || "";
  autosize();
  state.current = person;
  state.replyTo = null;
  history.replaceState(null, "", `#${person.user_id}`);
  $("chat-name").textContent = person.name;
  $("chat-role").textContent = describe(person);
  avatar($("chat-avatar"), person);
  $("samples").hidden = !person.roles.some((r) => r.key === "clerk" || r.key === "supervisor");
  $("menu").hidden = true;
  closeDrawer();
  renderReplyBar();
  const cached = state.transcripts.get(person.chat_id);
  if (cached) renderChat(cached, true);
  else $("messages").replaceChildren(el("p", "empty", "加载中…"));
  renderBadges();
  await loadTranscript(person.chat_id, true);
}

// ------------------------------------------------------------------ the chat

async function loadTranscript(chatId, jump = false) {
  const transcript = await call("GET", `/_emulator/chats/${chatId}/transcript`);
  state.transcripts.set(chatId, transcript);
  state.versions.set(chatId, Math.max(state.versions.get(chatId) ?? 0, transcript.version));
  if (!state.current || state.current.chat_id !== chatId) return;
  state.seen.set(chatId, transcript.version);
  renderChat(transcript, jump);
  renderBadges();
}

function renderChat(transcript, jump) {
  const box = $("messages");
  if (jump) { state.follow = true; state.userScroll = false; }
  const messages = transcript.entries.filter((e) => e.kind === "message" && !e.deleted);
  const byId = new Map(messages.map((m) => [m.message_id, m]));
  const nodes = [];
  let day = null;
  for (const m of messages) {
    if (officeDay(m.date) !== day) {
      day = officeDay(m.date);
      nodes.push(el("div", "day", formatDate(day)));
    }
    nodes.push(messageNode(m, byId));
  }
  box.replaceChildren(...(nodes.length ? nodes : [el("p", "empty", "还没有消息。")]));
  for (const entry of transcript.entries) {
    if (entry.kind === "callback" && entry.answered && state.pendingPresses.has(entry.id)) {
      state.pendingPresses.delete(entry.id);
      if (entry.answer_text) toast(entry.answer_text, entry.show_alert);
    }
  }
  if (state.replyTo !== null && !byId.has(state.replyTo)) state.replyTo = null;
  renderReplyBar();
  if (state.follow) followNow();
}

// Following the chat: it stays at the newest message until the person scrolls up, and the
// flag (not the scroll position at render time) decides, because a picture that arrives grows
// the chat after it was drawn and would otherwise leave every later answer below the fold.
function nearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

function followNow() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

function messageNode(message, byId) {
  const node = el("div", `msg ${message.from_bot ? "in" : "out"}`);
  node.dataset.messageId = message.message_id;
  if (message.message_id === state.replyTo) node.classList.add("replying");
  if (message.reply_to_message_id) {
    const quoted = byId.get(message.reply_to_message_id);
    const quote = el("div", "quote", plainSnippet(quoted));
    quote.addEventListener("click", (event) => { event.stopPropagation(); flash(message.reply_to_message_id); });
    node.append(quote);
  }
  for (const file of message.files || []) node.append(fileNode(file, message));
  const text = message.text ?? message.caption;
  if (text) {
    const body = el("div", "body");
    body.append(formatted(text, message.text != null ? message.entities : message.caption_entities));
    node.append(body);
  }
  if (message.inline_keyboard && message.inline_keyboard.length) node.append(keyboardNode(message));
  node.append(el("div", "meta", `${message.edited ? "已编辑 " : ""}${formatTime(message.date)}`));
  node.addEventListener("click", (event) => {
    if (event.target.closest("a, button, .spoiler") || String(window.getSelection() || "")) return;
    startReply(message.message_id);
  });
  return node;
}

function fileNode(file, message) {
  if (file.kind === "sticker") return el("div", "body", message.sticker_emoji || "🖼");
  if (file.kind === "photo") {
    const img = el("img", "photo");
    img.addEventListener("load", () => { if (state.follow) followNow(); });
    img.src = fileUrl(file.file_id);
    img.alt = file.file_name || "图片";
    return img;
  }
  const a = el("a", "file");
  a.href = fileUrl(file.file_id);
  a.download = file.file_name || "";
  const text = el("span");
  text.append(el("div", null, file.file_name || "文件"), el("div", "size", formatSize(file.size)));
  a.append(el("span", "icon-doc", "📄"), text);
  return a;
}

function keyboardNode(message) {
  const keyboard = el("div", "keyboard");
  for (const row of message.inline_keyboard) {
    const line = el("div", "row");
    for (const button of row) {
      const href = button.url ? safeHref(button.url) : null;
      if (href) {
        const a = el("a", null, button.text);
        a.href = href;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        line.append(a);
        continue;
      }
      const b = el("button", null, button.text);
      b.type = "button";
      if (button.callback_data === undefined) b.disabled = true;
      else b.addEventListener("click", () => press(message.message_id, button.callback_data, b));
      line.append(b);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function flash(messageId) {
  const node = document.querySelector(`.msg[data-message-id="${Number(messageId)}"]`);
  if (!node) return;
  node.scrollIntoView({ block: "center", behavior: "smooth" });
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
}

// ------------------------------------------------------------------ acting as the person

async function press(messageId, data, button) {
  button.disabled = true;
  try {
    const record = await call("POST", chatPath("/press"), { button: data, message_id: messageId });
    state.pendingPresses.add(record.id);
  } catch (error) {
    toast(`按钮无效：${error.message}`);
    button.disabled = false;
  }
}

function startReply(messageId) {
  state.replyTo = messageId;
  for (const node of document.querySelectorAll(".msg")) {
    node.classList.toggle("replying", Number(node.dataset.messageId) === messageId);
  }
  renderReplyBar();
  $("text").focus();
}

function renderReplyBar() {
  const transcript = state.current && state.transcripts.get(state.current.chat_id);
  const message = transcript && transcript.entries.find((e) => e.kind === "message" && e.message_id === state.replyTo);
  $("reply-bar").hidden = !message;
  $("reply-snippet").textContent = message ? plainSnippet(message) : "";
  if (!message) for (const node of document.querySelectorAll(".msg.replying")) node.classList.remove("replying");
}

function cancelReply() {
  state.replyTo = null;
  renderReplyBar();
}

async function sendText(event) {
  event.preventDefault();
  const box = $("text");
  const text = box.value;
  if (!text.trim() || !state.current) return;
  const body = { text };
  if (state.replyTo !== null) body.reply_to_message_id = state.replyTo;
  $("send").disabled = true;
  try {
    await call("POST", chatPath("/messages"), body);
    box.value = "";
    autosize();
    cancelReply();
    $("menu").hidden = true;
  } catch (error) {
    toast(`发送失败：${error.message}`);
  } finally {
    $("send").disabled = false;
  }
}

async function sendFile() {
  const input = $("file");
  const file = input.files && input.files[0];
  if (!file || !state.current) return;
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("kind", /^image\/(png|jpeg)$/.test(file.type) ? "photo" : "document");
  if ($("text").value.trim()) form.append("caption", $("text").value);
  if (state.replyTo !== null) form.append("reply_to_message_id", String(state.replyTo));
  try {
    await call("POST", chatPath("/files"), form);
    $("text").value = "";
    autosize();
    cancelReply();
  } catch (error) {
    toast(`上传失败：${error.message}`);
  } finally {
    input.value = "";
  }
}

function autosize() {
  const box = $("text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, window.innerHeight * 0.4)}px`;
}

async function toggleMenu() {
  const menu = $("menu");
  if (!menu.hidden) { menu.hidden = true; return; }
  try {
    state.people = await call("GET", "/_demo/people"); // the menu is set when a person joins
    state.current = state.people.find((p) => p.user_id === state.current.user_id) || state.current;
  } catch (_) { /* keep the list we have */ }
  menu.replaceChildren();
  const commands = state.current.commands || [];
  if (!commands.length) menu.append(el("p", "empty", "没有命令菜单。"));
  for (const command of commands) {
    const item = el("button");
    item.type = "button";
    item.append(el("span", "cmd", `/${command.command}`), el("span", "desc", command.description));
    item.addEventListener("click", () => {
      $("text").value = `/${command.command} `;
      menu.hidden = true;
      autosize();
      $("text").focus();
    });
    menu.append(item);
  }
  menu.hidden = false;
}

// ------------------------------------------------------------------ the demo calendar

async function moveCalendar(path, body, button) {
  const buttons = document.querySelectorAll(".calendar button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const result = await call("POST", path, body);
    $("demo-date").textContent = formatDate(result.date);
    const steps = result.steps.map((s) => `${s.label} ${s.count} 项`);
    const periodic = result.periodic.length ? `；已发送：${result.periodic.join("，")}` : "";
    toast(`已进入 ${formatDate(result.date)}，每日督办检查已执行：${steps.length ? steps.join("，") : "无到期事项"}${periodic}`);
  } catch (error) {
    toast(`未能推进日期：${error.message}`);
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

function nextDay() {
  return moveCalendar("/_demo/next-day");
}

async function refreshCalendar() {
  const calendar = await call("GET", "/_demo/calendar");
  if (calendar.timezone && calendar.timezone !== state.timeZone) {
    state.timeZone = calendar.timezone;
    if (state.current) {
      const transcript = state.transcripts.get(state.current.chat_id);
      if (transcript) renderChat(transcript, false);
    }
  }
  $("demo-date").textContent = formatDate(calendar.date);
}

// ------------------------------------------------------------------ watching for changes

async function watch() {
  for (;;) {
    try {
      const { version } = await call("GET", `/_emulator/changes?since=${state.globalVersion}&timeout=${POLL_SECONDS}`);
      if (state.offline) { state.offline = false; toast("已重新连接"); }
      if (version === state.globalVersion) continue;
      const firstLook = state.globalVersion === -1;
      state.globalVersion = version;
      const chats = await call("GET", "/_emulator/chats");
      for (const chat of chats) {
        state.versions.set(chat.chat.id, chat.version);
        if (firstLook && !state.seen.has(chat.chat.id)) state.seen.set(chat.chat.id, chat.version); // nothing is new yet
      }
      const current = state.current && state.current.chat_id;
      const shown = current !== null && state.transcripts.get(current);
      if (current !== null && (!shown || state.versions.get(current) > shown.version)) await loadTranscript(current);
      renderBadges();
      refreshCalendar().catch(() => {});
    } catch (error) {
      if (!state.offline) { state.offline = true; toast("与演示服务器的连接已断开，正在重试…"); }
      await sleep(2000);
    }
  }
}

// ------------------------------------------------------------------ drawer (phone-sized windows)

function closeDrawer() {
  $("people").classList.remove("open");
  $("people-toggle").setAttribute("aria-expanded", "false");
}

$("people-toggle").addEventListener("click", (event) => {
  event.stopPropagation();
  const open = $("people").classList.toggle("open");
  $("people-toggle").setAttribute("aria-expanded", String(open));
});
document.addEventListener("click", (event) => {
  if ($("people").classList.contains("open") && !event.target.closest("#people")) closeDrawer();
});

// ------------------------------------------------------------------ start

$("composer").addEventListener("submit", sendText);
$("text").addEventListener("keydown", (event) => {
  // On a phone (touch screen) Enter starts a new line, as in Telegram's apps; 发送 sends.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !TOUCH.matches) sendText(event);
  if (event.key === "Escape") cancelReply();
});
$("text").addEventListener("input", autosize);
window.addEventListener("resize", autosize);
$("file").addEventListener("change", sendFile);
$("reply-cancel").addEventListener("click", cancelReply);
$("menu-button").addEventListener("click", toggleMenu);
$("next-day").addEventListener("click", nextDay);
for (const button of document.querySelectorAll(".calendar .jump")) {
  button.addEventListener("click", () => moveCalendar("/_demo/jump", { to: button.dataset.to }));
}
// Only the person's own scrolling decides whether the chat follows: the scroll events that
// re-rendering and late-loading pictures cause must not switch following off.
for (const kind of ["wheel", "touchstart", "pointerdown", "keydown"]) {
  $("messages").addEventListener(kind, () => { state.userScroll = true; }, { passive: true });
}
$("messages").addEventListener("scroll", () => { if (state.userScroll) state.follow = nearBottom(); });
$("guide-toggle").addEventListener("click", (event) => {
  event.stopPropagation();
  $("people").classList.add("open");
  $("people-toggle").setAttribute("aria-expanded", "true");
  $("guide").open = true;
  $("guide").scrollIntoView({ block: "nearest" });
});
$("sample-new").addEventListener("click", () => {
  $("text").value = SAMPLE_NEW;
  autosize();
  $("text").focus();
});

$("sample-minutes").addEventListener("click", async () => {
  if (!state.current) return;
  try {
    const response = await fetch("/_demo/sample-minutes");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const form = new FormData();
    form.append("file", await response.blob(), "市政府第12次常务会议纪要.docx");
    form.append("kind", "document");
    await call("POST", chatPath("/files"), form);
  } catch (error) {
    toast(`发送失败：${error.message}`);
  }
});

async function start() {
  for (;;) {
    try {
      state.people = await call("GET", "/_demo/people");
      break;
    } catch (_) {
      await sleep(500); // the demo is still starting
    }
  }
  await refreshCalendar();
  renderPeople();
  const wanted = Number(location.hash.slice(1));
  const first = state.people.find((p) => p.user_id === wanted)
    || state.people.find((p) => p.roles.some((r) => r.key === "clerk"))
    || state.people[0];
  if (first) await select(first);
  watch();
}

start();
