// 督办 Bot demo page. Talks to the emulator's control API (/_emulator/...) as a Telegram client
// would, to the 钉钉 emulator's (/dingtalk/_emulator/...) as the 钉钉 app would for the people on
// 钉钉, to the 企业微信 emulator's (/wecom/_emulator/...) as the 企业微信 app would for the people
// on 企业微信, and to the demo's own routes (/_demo/...) for people and the demo calendar.
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
  transcripts: new Map(), // person key -> last transcript {version, entries}
  versions: new Map(),    // person key -> latest version the server reported
  seen: new Map(),        // person key -> version the visitor has looked at
  pendingPresses: new Set(), // callback ids pressed here, whose answer should pop up
  replyTo: null,          // message id (钉钉: entry id; 企业微信: entry seq) being replied to
  drafts: new Map(),      // person key -> unsent text, kept per chat as Telegram does
  globalVersion: -1,
  dingVersion: -1,
  wxVersion: -1,
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
const DING = "/dingtalk/_emulator";
const WX = "/wecom/_emulator";
const isDing = (person) => person.channel === "dingtalk";
const isWx = (person) => person.channel === "wecom";
const isTelegram = (person) => !isDing(person) && !isWx(person);
const WX_ROUTES = { "/messages": "/text" }; // a member writes text; files and presses as on 钉钉
const chatPath = (suffix) => (isDing(state.current)
  ? `${DING}/staff/${encodeURIComponent(state.current.userid)}${suffix}`
  : isWx(state.current)
    ? `${WX}/members/${encodeURIComponent(state.current.userid)}${WX_ROUTES[suffix] || suffix}`
    : `/_emulator/chats/${state.current.chat_id}${suffix}`);
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
  const seed = isTelegram(person) ? person.user_id : [...person.userid].reduce((n, c) => n + c.charCodeAt(0), 0);
  const hue = (seed * 47) % 360;
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
    button.dataset.key = person.key;
    const face = el("span", "avatar");
    avatar(face, person);
    const who = el("span", "who");
    const name = el("div", "name", person.name);
    if (isDing(person)) name.append(el("span", "channel-tag", "钉钉"));
    if (isWx(person)) name.append(el("span", "channel-tag wecom", "企业微信"));
    who.append(name, el("div", "role", describe(person)));
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
    const id = button.dataset.key;
    const current = state.current && state.current.key === id;
    button.setAttribute("aria-current", current ? "true" : "false");
    const unread = !current && (state.versions.get(id) ?? 0) > (state.seen.get(id) ?? 0);
    button.querySelector(".badge").hidden = !unread;
  }
}

async function select(person) {
  if (state.current) state.drafts.set(state.current.key, $("text").value);
  $("text").value = state.drafts.get(person.key) || "";
  autosize();
  state.current = person;
  state.replyTo = null;
  history.replaceState(null, "", `#${isTelegram(person) ? person.user_id : person.key}`);
  $("chat-name").textContent = person.name;
  $("chat-role").textContent = describe(person);
  $("chat").classList.toggle("dingtalk", isDing(person));
  $("chat").classList.toggle("wecom", isWx(person));
  $("menu-button").hidden = !isTelegram(person); // no command menu on 钉钉 or 企业微信: /help lists them
  $("text").placeholder = isDing(person) ? "发消息给机器人，如 /help" : isWx(person) ? "发消息给应用，如 /help" : "消息或命令，如 /new";
  avatar($("chat-avatar"), person);
  $("samples").hidden = !person.roles.some((r) => r.key === "clerk" || r.key === "supervisor");
  $("menu").hidden = true;
  closeDrawer();
  renderReplyBar();
  const cached = state.transcripts.get(person.key);
  if (cached) renderChat(cached, true);
  else $("messages").replaceChildren(el("p", "empty", "加载中…"));
  renderBadges();
  await loadTranscript(person, true);
}

// ------------------------------------------------------------------ the chat

async function loadTranscript(person, jump = false) {
  const key = person.key;
  const transcript = isDing(person)
    ? await call("GET", `${DING}/staff/${encodeURIComponent(person.userid)}/chat`)
    : isWx(person)
      ? await call("GET", `${WX}/members/${encodeURIComponent(person.userid)}/transcript`)
      : await call("GET", `/_emulator/chats/${person.chat_id}/transcript`);
  state.transcripts.set(key, transcript);
  state.versions.set(key, Math.max(state.versions.get(key) ?? 0, transcript.version));
  if (!state.current || state.current.key !== key) return;
  state.seen.set(key, transcript.version);
  renderChat(transcript, jump);
  renderBadges();
  if (isDing(person) && transcript.entries.some((e) => e.kind !== "user" && !e.read)) {
    call("POST", `${DING}/staff/${encodeURIComponent(person.userid)}/read`, {}).catch(() => {}); // the chat is open: 已读
  }
}

function renderChat(transcript, jump) {
  if (isDing(state.current)) { renderDingChat(transcript, jump); return; }
  if (isWx(state.current)) { renderWxChat(transcript, jump); return; }
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

// ------------------------------------------------------------------ 钉钉 (a person's chat with the robot)

// 钉钉's markdown as the bot writes it (bot/channels/dingtalk/render.py): **bold**, *italic*,
// `code`, [text](url), "> " quotes, a hard break at each line's end. Built into nodes with
// textContent, never parsed as HTML.
const MD_INLINE = /\*\*([^*]+)\*\*|\*([^*]+)\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g;

function markdownNode(text) {
  const root = el("div", "md");
  for (const raw of text.split("\n")) {
    const line = raw.replace(/ {2}$/, "");
    const quoted = line.startsWith("> ");
    const block = el(quoted ? "blockquote" : "div", "md-line");
    inlineMarkdown(block, quoted ? line.slice(2) : line);
    if (!line.trim()) block.append("\u00a0");
    root.append(block);
  }
  return root;
}

function inlineMarkdown(parent, text) {
  let pos = 0;
  for (const m of text.matchAll(MD_INLINE)) {
    if (m.index > pos) parent.append(text.slice(pos, m.index));
    if (m[1] !== undefined) parent.append(el("b", null, m[1]));
    else if (m[2] !== undefined) parent.append(el("i", null, m[2]));
    else if (m[3] !== undefined) parent.append(el("code", null, m[3]));
    else {
      const a = link(m[5]);
      a.textContent = m[4];
      parent.append(a);
    }
    pos = m.index + m[0].length;
  }
  if (pos < text.length) parent.append(text.slice(pos));
}

const stripMarks = (text) => text.replace(/\*\*|`/g, "").trim();

function dingSnippet(entry) {
  if (!entry) return "…";
  const text = entry.card ? `[卡片] ${entry.card.title}` : entry.file ? `[文件] ${entry.file.name || entry.text}` : entry.title || entry.text || "";
  return stripMarks(text).replace(/\s+/g, " ").slice(0, 80) || "…";
}

function renderDingChat(transcript, jump) {
  const box = $("messages");
  if (jump) { state.follow = true; state.userScroll = false; }
  const byId = new Map(transcript.entries.map((e) => [e.id, e]));
  const nodes = [];
  let day = null;
  for (const entry of transcript.entries) {
    if (officeDay(entry.at) !== day) {
      day = officeDay(entry.at);
      nodes.push(el("div", "day", formatDate(day)));
    }
    nodes.push(dingNode(entry, byId));
  }
  box.replaceChildren(...(nodes.length ? nodes : [el("p", "empty", "还没有消息。")]));
  if (state.replyTo !== null && !byId.has(state.replyTo)) state.replyTo = null;
  renderReplyBar();
  if (state.follow) followNow();
}

function dingNode(entry, byId) {
  const mine = entry.kind === "user";
  const node = el("div", `msg ${mine ? "out" : "in"} ding ding-${entry.kind}`);
  node.dataset.messageId = entry.id;
  if (entry.id === state.replyTo) node.classList.add("replying");
  if (entry.reply_to) {
    const quote = el("div", "quote", dingSnippet(byId.get(entry.reply_to)));
    quote.addEventListener("click", (event) => { event.stopPropagation(); flash(entry.reply_to); });
    node.append(quote);
  }
  if (entry.card) {
    node.append(...cardNodes(entry.card));
  } else if (entry.file) {
    node.append(dingFileNode(entry.file, entry.msg_type === "picture"));
  } else {
    if (entry.kind === "notice") node.append(el("div", "notice-head", "工作通知"));
    if (entry.title && entry.msg_type !== "text" && entry.kind === "notice") node.append(el("div", "card-title", stripMarks(entry.title)));
    const body = el("div", "body");
    if (entry.msg_type === "text" || mine) body.textContent = entry.text;
    else body.append(markdownNode(entry.text));
    node.append(body);
  }
  const read = mine ? "" : entry.kind === "notice" ? (entry.read ? " · 已读" : " · 未读") : "";
  node.append(el("div", "meta", `${formatTime(entry.at)}${read}`));
  const buttons = node.querySelector(".card-buttons");
  if (buttons) node.append(buttons); // the buttons are the card's foot
  node.addEventListener("click", (event) => {
    if (event.target.closest("a, button") || String(window.getSelection() || "")) return;
    startReply(entry.id);
  });
  return node;
}

// A card as 钉钉 draws the "markdown with buttons" template: its title, the markdown body, and
// the buttons side by side in one row at the foot; a button the card no longer offers is gone,
// one it shows disabled is grey.
function cardNodes(card) {
  const title = el("div", "card-title", stripMarks(card.title));
  let text = card.markdown;
  const [first, ...rest] = text.split("\n");
  if (stripMarks(first.replace(/ {2}$/, "")) === stripMarks(card.title)) text = rest.join("\n"); // the title is drawn above
  const nodes = [title];
  if (text.trim()) {
    const body = el("div", "body card-body");
    body.append(markdownNode(text.replace(/^\s+/, "")));
    nodes.push(body);
  }
  if (card.buttons.length) {
    const row = el("div", "card-buttons");
    for (const button of card.buttons) {
      const b = el("button", null, button.text);
      b.type = "button";
      b.disabled = button.disabled;
      b.addEventListener("click", () => pressCard(card, button, b));
      row.append(b);
    }
    nodes.push(row);
  }
  return nodes;
}

function dingFileNode(file, picture) {
  const url = `${DING}/files/${encodeURIComponent(file.download_code || file.media_id || "")}`;
  if (picture) {
    const img = el("img", "photo");
    img.addEventListener("load", () => { if (state.follow) followNow(); });
    img.src = url;
    img.alt = file.name || "图片";
    return img;
  }
  const a = el("a", "file");
  a.href = url;
  a.download = file.name || "";
  const text = el("span");
  text.append(el("div", null, file.name || "文件"), el("div", "size", file.size ? formatSize(file.size) : "钉盘文件"));
  a.append(el("span", "icon-doc", "📄"), text);
  return a;
}

async function pressCard(card, button, node) {
  node.disabled = true;
  try {
    await call("POST", chatPath("/press"), { button: button.id, out_track_id: card.out_track_id });
  } catch (error) {
    toast(`按钮无效：${error.message}`);
    node.disabled = false;
  }
}

// ------------------------------------------------------------------ 企业微信 (a member's chat with the application)

const wxQuoted = (entry) => (entry.card ? entry.card.title : entry.text || entry.filename || "");

function wxSnippet(entry) {
  if (!entry) return "…";
  const text = entry.card ? `[卡片] ${entry.card.title}` : entry.media_id ? `[${entry.kind === "image" ? "图片" : "文件"}] ${entry.filename || ""}` : entry.text || "";
  return stripMarks(text).replace(/\s+/g, " ").slice(0, 80) || "…";
}

function renderWxChat(transcript, jump) {
  const box = $("messages");
  if (jump) { state.follow = true; state.userScroll = false; }
  const bySeq = new Map(transcript.entries.map((e) => [e.seq, e]));
  const nodes = [];
  let day = null;
  for (const entry of transcript.entries) {
    if (officeDay(entry.at) !== day) {
      day = officeDay(entry.at);
      nodes.push(el("div", "day", formatDate(day)));
    }
    nodes.push(wxNode(entry));
  }
  box.replaceChildren(...(nodes.length ? nodes : [el("p", "empty", "还没有消息。")]));
  if (state.replyTo !== null && !bySeq.has(state.replyTo)) state.replyTo = null;
  renderReplyBar();
  if (state.follow) followNow();
}

function wxNode(entry) {
  const mine = entry.from === "person";
  const node = el("div", `msg ${mine ? "out" : "in"} wx wx-${entry.kind}`);
  node.dataset.messageId = entry.seq;
  if (entry.seq === state.replyTo) node.classList.add("replying");
  if (entry.card) {
    node.append(...wxCardNodes(entry.card));
  } else if (entry.media_id) {
    node.append(wxFileNode(entry));
  } else {
    const body = el("div", "body");
    if (entry.kind === "markdown") body.append(markdownNode(entry.text));
    else body.textContent = entry.text;
    node.append(body);
  }
  node.append(el("div", "meta", formatTime(entry.at)));
  const buttons = node.querySelector(".card-buttons");
  if (buttons) node.append(buttons); // the buttons are the card's foot
  node.addEventListener("click", (event) => {
    if (event.target.closest("a, button") || String(window.getSelection() || "")) return;
    startReply(entry.seq);
  });
  return node;
}

// A 按钮交互型 模板卡片 as 企业微信 draws it: the main title, its description in grey, the
// key/value rows, and the buttons side by side in one row at the foot; once the card is updated
// with replace_name its buttons give way to one grey button saying so.
function wxCardNodes(card) {
  const nodes = [el("div", "card-title", card.title)];
  if (card.desc) nodes.push(el("div", "card-desc", card.desc));
  if (card.sub_title_text) {
    const body = el("div", "body card-body");
    body.textContent = card.sub_title_text;
    nodes.push(body);
  }
  if (card.rows.length) {
    const rows = el("div", "card-rows");
    for (const [key, value] of card.rows) {
      const row = el("div", "card-row");
      row.append(el("span", "card-key", key), el("span", "card-value", value));
      rows.append(row);
    }
    nodes.push(rows);
  }
  const row = el("div", "card-buttons");
  if (card.replace_name) {
    const b = el("button", null, card.replace_name);
    b.type = "button";
    b.disabled = true;
    row.append(b);
  } else {
    for (const button of card.buttons) {
      const b = el("button", null, button.text);
      b.type = "button";
      b.disabled = !button.enabled;
      b.addEventListener("click", () => pressWxCard(card, button, b));
      row.append(b);
    }
  }
  if (row.childElementCount) nodes.push(row);
  return nodes;
}

function wxFileNode(entry) {
  const url = `${WX}/media/${encodeURIComponent(entry.media_id)}`;
  if (entry.kind === "image") {
    const img = el("img", "photo");
    img.addEventListener("load", () => { if (state.follow) followNow(); });
    img.src = url;
    img.alt = entry.filename || "图片";
    return img;
  }
  const a = el("a", "file");
  a.href = url;
  a.download = entry.filename || "";
  const text = el("span");
  text.append(el("div", null, entry.filename || "文件"), el("div", "size", "文件"));
  a.append(el("span", "icon-doc", "📄"), text);
  return a;
}

async function pressWxCard(card, button, node) {
  node.disabled = true;
  try {
    await call("POST", chatPath("/press"), { task_id: card.task_id, key: button.key });
  } catch (error) {
    toast(`按钮无效：${error.message}`);
    node.disabled = false;
  }
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
  const transcript = state.current && state.transcripts.get(state.current.key);
  const ding = state.current && isDing(state.current);
  const wx = state.current && isWx(state.current);
  const message = transcript && transcript.entries.find((e) => (ding
    ? e.id === state.replyTo : wx ? e.seq === state.replyTo : e.kind === "message" && e.message_id === state.replyTo));
  $("reply-bar").hidden = !message;
  $("reply-snippet").textContent = message ? (ding ? dingSnippet(message) : wx ? wxSnippet(message) : plainSnippet(message)) : "";
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
  if (state.replyTo !== null && isWx(state.current)) {
    const transcript = state.transcripts.get(state.current.key);
    const quoted = transcript && transcript.entries.find((e) => e.seq === state.replyTo);
    if (quoted) body.quote = wxQuoted(quoted); // 企业微信 quotes the text itself
  } else if (state.replyTo !== null) {
    body[isDing(state.current) ? "reply_to" : "reply_to_message_id"] = state.replyTo;
  }
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
  const picture = /^image\/(png|jpeg)$/.test(file.type);
  if (isDing(state.current)) {
    form.append("kind", picture ? "picture" : "file"); // 钉钉 sends a file on its own, without a caption
  } else if (isWx(state.current)) {
    form.append("kind", picture ? "image" : "file"); // so does 企业微信
  } else {
    form.append("kind", picture ? "photo" : "document");
    if ($("text").value.trim()) form.append("caption", $("text").value);
    if (state.replyTo !== null) form.append("reply_to_message_id", String(state.replyTo));
  }
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
    state.current = state.people.find((p) => p.key === state.current.key) || state.current;
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
      const transcript = state.transcripts.get(state.current.key);
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
        const key = `telegram:${chat.chat.id}`;
        state.versions.set(key, chat.version);
        if (firstLook && !state.seen.has(key)) state.seen.set(key, chat.version); // nothing is new yet
      }
      if (state.current && isTelegram(state.current)) await refreshCurrent();
      renderBadges();
      refreshCalendar().catch(() => {});
    } catch (error) {
      if (!state.offline) { state.offline = true; toast("与演示服务器的连接已断开，正在重试…"); }
      await sleep(2000);
    }
  }
}

async function refreshCurrent() {
  const shown = state.transcripts.get(state.current.key);
  if (!shown || state.versions.get(state.current.key) > shown.version) await loadTranscript(state.current);
}

// The 钉钉 emulator's changes, watched beside Telegram's: each 钉钉 person's chat has a version.
async function watchDing() {
  for (;;) {
    try {
      const { version } = await call("GET", `${DING}/changes?since=${state.dingVersion}&timeout=${POLL_SECONDS}`);
      if (version === state.dingVersion) continue;
      const firstLook = state.dingVersion === -1;
      state.dingVersion = version;
      for (const member of await call("GET", `${DING}/staff`)) {
        const key = `dingtalk:${member.userid}`;
        state.versions.set(key, member.version);
        if (firstLook && !state.seen.has(key)) state.seen.set(key, member.version);
      }
      if (state.current && isDing(state.current)) await refreshCurrent();
      renderBadges();
    } catch (_) {
      await sleep(2000); // told once by the Telegram watcher
    }
  }
}

// The 企业微信 emulator's changes likewise: each member's chat has a version.
async function watchWx() {
  for (;;) {
    try {
      const { version } = await call("GET", `${WX}/changes?since=${state.wxVersion}&timeout=${POLL_SECONDS}`);
      if (version === state.wxVersion) continue;
      const firstLook = state.wxVersion === -1;
      state.wxVersion = version;
      for (const member of await call("GET", `${WX}/members`)) {
        const key = `wecom:${member.userid}`;
        state.versions.set(key, member.version);
        if (firstLook && !state.seen.has(key)) state.seen.set(key, member.version);
      }
      if (state.current && isWx(state.current)) await refreshCurrent();
      renderBadges();
    } catch (_) {
      await sleep(2000); // told once by the Telegram watcher
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
    form.append("kind", isTelegram(state.current) ? "document" : "file");
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
  const hash = decodeURIComponent(location.hash.slice(1));
  const first = state.people.find((p) => p.key === hash || (isTelegram(p) && p.user_id === Number(hash)))
    || state.people.find((p) => p.roles.some((r) => r.key === "clerk"))
    || state.people[0];
  if (first) await select(first);
  watch();
  watchDing();
  watchWx();
}

start();
