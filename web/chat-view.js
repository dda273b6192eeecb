// Drawing the model into the page, and the keyboard.  Every text that
// came from the network is put in with textContent: shown as text, never
// parsed as HTML.

import { HELP } from "./chat-model.js";

function pad2(n) {
	return n < 10 ? "0" + n : String(n);
}

function clock(ts) {
	const d = new Date(ts);
	const hm = pad2(d.getHours()) + ":" + pad2(d.getMinutes());
	const today = new Date();
	if (d.toDateString() === today.toDateString())
		return hm;
	return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" +
	    pad2(d.getDate()) + " " + hm;
}

function el(doc, tag, cls, text) {
	const e = doc.createElement(tag);
	if (cls)
		e.className = cls;
	if (text !== undefined)
		e.textContent = text;
	return e;
}

const PROMPTS = { join: "join room:", msg: "message to:" };

export class ChatView {
	constructor(doc, host) {
		this.doc = doc;
		this.host = host;
		this.model = null;
		this.scheduled = false;
		this.shown = null;	// the entry the message pane shows...
		this.drawn = 0;		// ...and how many of its lines, absolute
		this.prompt = null;	// null, "join" or "msg"
		this.history = [];	// lines typed, for Up and Down
		this.histPos = 0;
		const $ = (id) => doc.getElementById(id);
		this.$ = { entries: $("entry-list"), title: $("title"),
		    messages: $("messages"), users: $("user-list"),
		    usersTitle: $("users-title"), form: $("input-form"),
		    prompt: $("prompt"), input: $("input"), status: $("status"),
		    help: $("help"), helpList: $("help-list") };
		for (const l of HELP)
			this.$.helpList.appendChild(el(doc, "li", "", l));
	}

	attach(model) {
		this.model = model;
		this.$.form.addEventListener("submit", (ev) => {
			ev.preventDefault();
			this.submit();
		});
		this.doc.addEventListener("keydown", (ev) => this.key(ev));
		this.$.input.addEventListener("keydown", (ev) => this.inputKey(ev));
		this.render();
	}

	schedule() {
		if (this.scheduled)
			return;
		this.scheduled = true;
		Promise.resolve().then(() => {
			this.scheduled = false;
			this.render();
		});
	}

	// ------------------------------------------------------------ input

	submit() {
		const text = this.$.input.value;
		const prompt = this.prompt;
		this.$.input.value = "";
		this.setPrompt(null);
		if (prompt === "join")
			this.model.join(text);
		else if (prompt === "msg") {
			if (text.trim() !== "")
				this.model.query(text.trim());
		} else if (text !== "") {
			this.history.push(text);
			this.histPos = this.history.length;
			this.model.input(text);
		}
		this.schedule();
	}

	setPrompt(p) {
		this.prompt = p;
		this.$.prompt.textContent = p === null ? ">" : PROMPTS[p];
		if (p !== null) {
			this.$.input.value = "";
			this.$.input.focus();
		}
	}

	inputKey(ev) {
		if (ev.altKey || ev.ctrlKey || ev.metaKey || this.prompt !== null)
			return;
		const h = this.history;
		if (ev.key === "ArrowUp" && this.histPos > 0) {
			this.$.input.value = h[--this.histPos];
		} else if (ev.key === "ArrowDown" && this.histPos < h.length) {
			this.histPos++;
			this.$.input.value = this.histPos < h.length ?
			    h[this.histPos] : "";
		} else if (ev.key === "PageUp" || ev.key === "PageDown") {
			const m = this.$.messages;
			m.scrollTop += (ev.key === "PageUp" ? -0.9 : 0.9) *
			    m.clientHeight;
		} else
			return;
		ev.preventDefault();
	}

	// The keys of chat-tui, with Alt (F-keys where the browser lets go).
	key(ev) {
		const help = this.$.help;
		if (!help.hidden) {
			help.hidden = true;
			ev.preventDefault();
			return;
		}
		const focused = this.doc.activeElement;
		const k = ev.altKey && !ev.ctrlKey && !ev.metaKey ? ev.code : "";
		if (ev.key === "Escape") {
			this.setPrompt(null);
			this.$.input.focus();
		} else if (k === "KeyJ" || ev.key === "F2") {
			if (focused && focused.dataset.kind === "room")
				this.model.join(focused.dataset.key);
			else
				this.setPrompt("join");
		} else if (k === "KeyL" || ev.key === "F3") {
			this.model.leave();
		} else if (k === "KeyM" || ev.key === "F4") {
			if (focused && focused.dataset.user !== undefined)
				this.model.query(focused.dataset.user);
			else
				this.setPrompt("msg");
		} else if (k === "KeyA") {
			this.model.nextUnread();
		} else if (k === "KeyH" || ev.key === "F1") {
			help.hidden = false;
		} else if (/^Digit[1-9]$/.test(k)) {
			const key = this.model.order()[Number(k.slice(5)) - 1];
			if (key !== undefined)
				this.model.select(key);
		} else
			return;
		ev.preventDefault();
		this.schedule();
	}

	// ------------------------------------------------------------ drawing

	render() {
		const m = this.model;
		this.renderEntries(m);
		this.renderMessages(m);
		this.renderUsers(m);
		const who = m.me.id === null ? "" : m.me.name !== "" ?
		    m.me.name + " (id " + m.me.id + ")" : "id " + m.me.id;
		const parts = [this.host, m.conn + (m.connDetail && m.conn !==
		    "connected" ? " (" + m.connDetail + ")" : "")];
		if (who)
			parts.push(who);
		parts.push("room " + (m.room === null ? "-" : m.room));
		if (m.version !== 0)
			parts.push("v" + m.version);
		this.$.status.textContent = parts.join(" | ");
		this.$.status.dataset.conn = m.conn;
	}

	title(key) {
		const e = this.model.entries.get(key);
		return e.kind === "pm" ? "@" + this.model.who(key.slice(1)) :
		    key;
	}

	renderEntries(m) {
		const ul = this.$.entries;
		const keys = m.order();
		const focusKey = this.doc.activeElement &&
		    this.doc.activeElement.dataset.kind !== undefined ?
		    this.doc.activeElement.dataset.key : null;
		ul.replaceChildren();
		keys.forEach((key, i) => {
			const e = m.entries.get(key);
			const b = el(this.doc, "button", "entry", this.title(key));
			b.type = "button";
			b.dataset.key = key;
			b.dataset.kind = e.kind;
			if (e.unread > 0)
				b.appendChild(el(this.doc, "span", "count",
				    " (" + e.unread + ")"));
			b.classList.toggle("current", key === m.current);
			b.classList.toggle("joined", key === m.room);
			b.classList.toggle("unread", e.unread > 0);
			b.classList.toggle("mention", e.mention);
			if (key === m.current)
				b.setAttribute("aria-current", "true");
			if (i < 9)
				b.title = "Alt-" + (i + 1);
			b.addEventListener("click", () => m.select(key));
			const li = el(this.doc, "li");
			li.appendChild(b);
			ul.appendChild(li);
			if (key === focusKey)
				b.focus();
		});
	}

	line(l) {
		const d = el(this.doc, "div", "line " + l.kind);
		if (l.mention)
			d.classList.add("mention");
		if (l.self)
			d.classList.add("self");
		d.appendChild(el(this.doc, "time", "ts", clock(l.ts)));
		d.appendChild(this.doc.createTextNode(" "));
		if (l.kind === "msg") {
			d.appendChild(el(this.doc, "span", "from",
			    "<" + l.from + ">"));
			d.appendChild(this.doc.createTextNode(" "));
		} else if (l.kind === "pm-in" || l.kind === "pm-out") {
			d.appendChild(el(this.doc, "span", "from",
			    (l.kind === "pm-in" ? "<- " : "-> ") + l.from + ":"));
			d.appendChild(this.doc.createTextNode(" "));
		} else if (l.kind === "error") {
			d.appendChild(el(this.doc, "span", "from", "* error:"));
			d.appendChild(this.doc.createTextNode(" "));
		}
		d.appendChild(el(this.doc, "span", "text", l.text));
		return d;
	}

	renderMessages(m) {
		const box = this.$.messages;
		const e = m.entries.get(m.current);
		const atEnd = box.scrollHeight - box.scrollTop -
		    box.clientHeight < 4;
		this.$.title.textContent = this.title(m.current);
		if (this.shown !== e || this.drawn < e.first) {
			box.replaceChildren();
			this.shown = e;
			this.drawn = e.first;
		}
		// Lines only ever append; the oldest may have been dropped.
		const from = this.drawn - e.first;
		for (let i = from; i < e.lines.length; i++)
			box.appendChild(this.line(e.lines[i]));
		this.drawn = e.first + e.lines.length;
		while (box.childElementCount > e.lines.length)
			box.firstElementChild.remove();
		if (atEnd || from === 0)
			box.scrollTop = box.scrollHeight;
	}

	renderUsers(m) {
		const ul = this.$.users;
		const a = this.doc.activeElement;
		const focusId = a && a.dataset.user !== undefined ?
		    a.dataset.user : null;
		ul.replaceChildren();
		this.$.usersTitle.textContent = "Users (" +
		    m.participants.length + ")";
		for (const p of m.participants) {
			const b = el(this.doc, "button", "user", m.who(p.id));
			b.type = "button";
			b.dataset.user = p.id;
			if (p.id === m.me.id) {
				b.classList.add("you");
				b.appendChild(el(this.doc, "span", "you-mark",
				    " (you)"));
			}
			b.addEventListener("click", () => m.query(p.id));
			const li = el(this.doc, "li");
			li.appendChild(b);
			ul.appendChild(li);
			if (p.id === focusId)
				b.focus();
		}
	}
}
