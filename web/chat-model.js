// The chat as this page sees it, the same model as chat-tui's: entries
// (the status buffer, rooms, private conversations) with their lines, the
// room we are in and its participants.  It turns server messages and typed
// input into state and requests; it never touches the DOM (chat-view.js
// draws it) nor the socket (it is given send()).
//
// Protocol version 2 (doc/protocol.md): hello with the session token kept
// in localStorage, names, history on join, and after a reconnect the
// messages missed, paged with "after" until complete, deduplicated by seq.
// A version 1 server (it answers hello with "unknown action: hello") is
// spoken to with bare ids.

export const LINES_MAX = 5000;		// per entry, as TUI_SCROLLBACK_MAX
export const HISTORY_LATEST = 50;	// lines of history shown on join
export const HISTORY_PAGE = 200;	// the most one history reply holds
export const ROOMS_REFRESH_MS = 5000;	// as TUI_ROOMS_REFRESH_SEC

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function seqOf(m) {
	return typeof m.seq === "string" && /^[0-9]+$/.test(m.seq) ?
	    BigInt(m.seq) : null;
}

function mentions(text, name) {
	if (!name)
		return false;
	const t = text.toLowerCase(), n = name.toLowerCase();
	const word = (c) => c !== undefined && /[A-Za-z0-9_-]/.test(c);
	for (let i = t.indexOf(n); i !== -1; i = t.indexOf(n, i + 1)) {
		if (!word(t[i - 1]) && !word(t[i + n.length]))
			return true;
	}
	return false;
}

export class ChatModel {
	// send(obj) -> bool; store: a Storage (localStorage); changed():
	// called after every change, for the view.
	constructor(send, store, changed) {
		this.send = send;
		this.store = store;
		this.changed = changed;
		this.conn = "connecting";
		this.connDetail = "";
		this.everConnected = false;
		this.version = 0;		// 0 until hello is answered
		this.me = { id: null, name: "" };
		this.epoch = null;
		this.helloPending = false;
		this.room = null;		// the room we are in
		this.rejoin = null;		// the room to be in after a reconnect
		this.rejoining = null;		// ...being joined again now
		this.startRoom = null;		// ?room=NAME, joined once
		this.participants = [];		// [{id, name}] of this.room
		this.serverRooms = [];
		this.names = new Map();		// id -> current name
		this.lastSeq = new Map();	// room -> BigInt, this epoch
		this.recover = new Map();	// room -> history being fetched
		this.pendingPm = [];		// PMs sent, echo not seen yet
		this.showRooms = 0;		// /rooms replies to print
		this.showWho = [];		// /who replies to print
		this.loggedIn = false;		// hello done, may send requests
		this.reconnect = () => {};
		this.entries = new Map();
		this.entry("status", "status");
		this.current = "status";
	}

	// ------------------------------------------------------------ entries

	entry(key, kind) {
		let e = this.entries.get(key);
		if (e === undefined) {
			e = { key, kind, lines: [], first: 0, unread: 0,
			    mention: false };
			this.entries.set(key, e);
		}
		return e;
	}

	// Status first, then rooms by name, then conversations in order.  A
	// room leaves the list once the server no longer has it, unless it
	// holds lines or is the one shown.
	order() {
		const listed = new Set(this.serverRooms);
		const rooms = [], pms = [];
		for (const r of listed)
			this.entry(r, "room");
		for (const e of this.entries.values()) {
			if (e.kind === "pm")
				pms.push(e.key);
			else if (e.kind !== "room")
				continue;
			else if (listed.has(e.key) || e.lines.length > 0 ||
			    e.key === this.current || e.key === this.room)
				rooms.push(e.key);
			else
				this.entries.delete(e.key);
		}
		rooms.sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
		return ["status", ...rooms, ...pms];
	}

	add(key, kind, line) {
		const e = this.entry(key, kind);
		line.ts = line.ts || Date.now();
		e.lines.push(line);
		if (e.lines.length > LINES_MAX) {
			e.lines.shift();
			e.first++;
		}
		if (key !== this.current && (line.kind === "msg" ||
		    line.kind === "pm-in")) {
			e.unread++;
			if (line.mention || line.kind === "pm-in")
				e.mention = true;
		}
	}

	notice(text, key) {
		key = key || this.current;
		this.add(key, this.entries.get(key).kind, { kind: "notice", text });
	}

	select(key) {
		const e = this.entries.get(key);
		if (e === undefined)
			return;
		this.current = key;
		e.unread = 0;
		e.mention = false;
		if (e.kind === "room" && key !== this.room && this.conn ===
		    "connected")
			this.send({ action: "join", room: key });
		this.changed();
	}

	// The next entry with a mention, else with unread lines (Alt-a).
	nextUnread() {
		const keys = this.order();
		const pick = keys.find((k) => this.entries.get(k).mention) ||
		    keys.find((k) => this.entries.get(k).unread > 0);
		if (pick !== undefined)
			this.select(pick);
	}

	who(id) {
		return this.names.get(id) || id;
	}

	learn(id, name) {
		if (typeof id !== "string" || this.version !== 2)
			return;
		if (typeof name === "string" && name !== "")
			this.names.set(id, name);
		else
			this.names.delete(id);
	}

	// ------------------------------------------------------------ network

	onState(state, detail) {
		this.conn = state;
		this.connDetail = detail;
		if (state === "disconnected" || state === "replaced") {
			if (this.room !== null)
				this.notice("-- disconnected" +
				    (detail ? " (" + detail + ")" : "") +
				    (state === "replaced" ? "" : "; reconnecting") +
				    " --", this.room);
			this.notice("disconnected" + (detail ? ": " + detail : ""),
			    "status");
			this.room = null;
			this.participants = [];
			this.pendingPm = [];
			this.showRooms = 0;
			this.showWho = [];
			this.recover.clear();
			this.helloPending = false;
			this.loggedIn = false;
			if (state === "replaced")
				this.notice("-- this session was opened in " +
				    "another window; /reconnect takes it back --");
		} else if (state === "connected") {
			this.notice("connected", "status");
		}
		this.changed();
	}

	login() {
		const m = { action: "hello" };
		const token = this.store.getItem("chat.token");
		if (token)
			m.token = token;
		this.helloPending = true;
		this.send(m);
	}

	// After hello (or its refusal): name, rooms, and the room to be in.
	ready() {
		const want = this.store.getItem("chat.name") || "";
		if (this.version === 2 && want !== "" &&
		    want.toLowerCase() !== this.me.name.toLowerCase())
			this.send({ action: "nick", name: want });
		this.send({ action: "rooms" });
		const room = this.rejoin || this.startRoom;
		this.rejoining = this.everConnected ? this.rejoin : null;
		this.startRoom = null;
		if (room !== null)
			this.send({ action: "join", room });
		this.everConnected = true;
		this.loggedIn = true;
	}

	// Now and then: the room list, and who is in our room.
	refresh() {
		if (!this.loggedIn)
			return;
		this.send({ action: "rooms" });
		if (this.room !== null)
			this.send({ action: "participants", room: this.room });
	}

	onMessage(m) {
		const h = this["on_" + m.action];
		if (typeof h === "function")
			h.call(this, m);
		this.changed();
	}

	on_connection(m) {
		this.me.id = m.user_id;
		this.login();
	}

	on_hello(m) {
		this.helloPending = false;
		const first = this.version !== 2;
		this.version = 2;
		this.me.id = m.user_id;
		this.me.name = typeof m.name === "string" ? m.name : "";
		this.learn(m.user_id, m.name);
		if (typeof m.token === "string")
			this.store.setItem("chat.token", m.token);
		if (this.epoch !== null && m.epoch !== this.epoch) {
			this.lastSeq.clear();
			for (const e of this.entries.values()) {
				if (e.kind === "room" && e.lines.length > 0)
					this.add(e.key, "room", { kind: "marker",
					    text: "-- the server lost its history: " +
					    "showing the latest --" });
			}
		}
		this.epoch = m.epoch;
		if (first)
			this.notice("protocol version 2: you are " +
			    (this.me.name || "id " + this.me.id), "status");
		this.ready();
	}

	on_error(m) {
		const text = String(m.message);
		if (this.helloPending && text === "unknown action: hello") {
			this.helloPending = false;
			if (this.version !== 1)
				this.notice("the server speaks protocol version " +
				    "1: ids, no names, no history", "status");
			this.version = 1;
			this.ready();
			return;
		}
		if (this.helloPending && text === "invalid token") {
			// Expired or from another server: start afresh.
			this.store.removeItem("chat.token");
			this.login();
			return;
		}
		const gone = /^user (.*) is not on the server$/.exec(text);
		if (gone !== null) {
			const i = this.pendingPm.findIndex((p) => p.to === gone[1] ||
			    (p.name !== undefined && p.name === gone[1]));
			if (i !== -1)
				this.pendingPm.splice(i, 1);
		}
		this.add(this.current, this.entries.get(this.current).kind,
		    { kind: "error", text });
	}

	on_join(m) {
		const room = m.room;
		if (typeof room !== "string")
			return;
		if (m.user_id !== undefined && m.user_id !== this.me.id) {
			this.learn(m.user_id, m.name);
			if (room === this.room) {
				this.participants = this.participants.filter(
				    (p) => p.id !== m.user_id);
				this.participants.push({ id: m.user_id });
				this.participants.sort((a, b) => a.id - b.id);
			}
			this.add(room, "room", { kind: "notice",
			    text: "-- " + this.who(m.user_id) + " joined --" });
			return;
		}
		if (this.room !== null && this.room !== room)
			this.notice("-- you left " + this.room + " --", this.room);
		const back = this.rejoining === room;
		this.rejoining = null;
		this.room = room;
		this.rejoin = room;
		this.participants = [{ id: this.me.id }];
		this.entry(room, "room");
		this.add(room, "room", { kind: "notice",
		    text: "-- you joined " + room + " --" });
		this.current = room;
		this.entries.get(room).unread = 0;
		this.entries.get(room).mention = false;
		this.send({ action: "participants", room });
		if (this.version === 2)
			this.fetchHistory(room, back);
		else if (back)
			this.add(room, "room", { kind: "marker", text: "-- " +
			    "the server keeps no history: what was said while " +
			    "you were disconnected is not shown --" });
	}

	on_leave(m) {
		const room = m.room;
		if (m.user_id !== undefined && m.user_id !== this.me.id) {
			if (room === this.room)
				this.participants = this.participants.filter(
				    (p) => p.id !== m.user_id);
			this.add(room, "room", { kind: "notice",
			    text: "-- " + this.who(m.user_id) + " left --" });
			return;
		}
		if (this.room !== null)
			this.notice("-- you left " + this.room + " --", this.room);
		this.room = null;
		this.rejoin = null;
		this.participants = [];
	}

	on_room_message(m) {
		const rec = this.recover.get(m.room);
		if (rec !== undefined) {
			rec.live.push(m);	// shown once history is in
			return;
		}
		const seq = seqOf(m);
		if (seq !== null) {
			const last = this.lastSeq.get(m.room);
			if (last !== undefined && seq <= last)
				return;		// seen already
			this.lastSeq.set(m.room, seq);
		}
		this.roomLine(m.room, m);
	}

	roomLine(room, m) {
		this.learn(m.user_id, m.name);
		const text = String(m.message);
		const from = m.name || m.user_id;
		this.add(room, "room", { kind: "msg", from, fromId: m.user_id,
		    text, ts: Number(m.ts) || 0, self: m.user_id === this.me.id,
		    mention: m.user_id !== this.me.id &&
		    mentions(text, this.me.name) });
	}

	on_private_message(m) {
		this.learn(m.user_id, m.name);
		const text = String(m.message);
		const i = this.pendingPm.findIndex((p) => p.text === text &&
		    (p.to === m.user_id || (p.name !== undefined && typeof
		    m.name === "string" && p.name.toLowerCase() ===
		    m.name.toLowerCase())));
		const key = "@" + m.user_id;
		const line = { text, ts: Number(m.ts) || 0,
		    from: this.who(m.user_id), fromId: m.user_id };
		if (i !== -1) {
			this.pendingPm.splice(i, 1);
			line.kind = "pm-out";
		} else {
			line.kind = "pm-in";
			line.mention = mentions(text, this.me.name);
		}
		this.add(key, "pm", line);
	}

	on_nick(m) {
		const old = this.who(m.user_id);
		this.learn(m.user_id, m.name);
		if (m.room === undefined || m.user_id === this.me.id) {
			this.me.name = m.name;
			this.store.setItem("chat.name", m.name);
			this.notice(m.name ? "you are now " + m.name :
			    "you have no name now", "status");
			if (this.current !== "status")
				this.notice("-- you are now " + this.who(this.me.id) +
				    " --");
			return;
		}
		this.add(m.room, "room", { kind: "notice", text: "-- " + old +
		    " is now " + this.who(m.user_id) + " --" });
	}

	on_rooms(m) {
		if (!Array.isArray(m.rooms))
			return;
		this.serverRooms = m.rooms.filter((r) => typeof r === "string");
		if (this.showRooms > 0) {
			this.showRooms--;
			this.notice("rooms: " + (this.serverRooms.join(", ") ||
			    "none"));
		}
	}

	on_participants(m) {
		if (!Array.isArray(m.participants))
			return;
		const names = Array.isArray(m.names) ? m.names : [];
		const list = m.participants.map((id, i) => {
			this.learn(id, names[i]);
			return { id };
		});
		if (m.room === this.room)
			this.participants = list;
		const w = this.showWho.indexOf(m.room);
		if (w !== -1) {
			this.showWho.splice(w, 1);
			this.notice("in " + m.room + ": " +
			    list.map((p) => this.who(p.id)).join(", "));
		}
	}

	// ------------------------------------------------------------ history

	// On joining: the latest lines, or, when we saw this room before in
	// this epoch, everything after the last seq we saw.
	fetchHistory(room, reconnected) {
		const after = this.lastSeq.get(room);
		const rec = { after, got: [], live: [], reconnected };
		this.recover.set(room, rec);
		const req = { action: "history", room };
		if (after !== undefined) {
			req.after = after.toString();
			req.limit = String(HISTORY_PAGE);
		} else
			req.limit = String(HISTORY_LATEST);
		this.send(req);
	}

	on_history(m) {
		const rec = this.recover.get(m.room);
		if (rec === undefined || !Array.isArray(m.messages))
			return;
		rec.got.push(...m.messages);
		const last = m.messages.length > 0 ?
		    seqOf(m.messages[m.messages.length - 1]) : null;
		if (rec.after !== undefined && m.messages.length >=
		    HISTORY_PAGE && last !== null) {
			this.send({ action: "history", room: m.room,
			    after: last.toString(), limit: String(HISTORY_PAGE) });
			return;
		}
		this.recover.delete(m.room);
		this.merge(m.room, rec);
	}

	// History and what arrived live meanwhile, in seq order, each once.
	merge(room, rec) {
		const bySeq = new Map();
		const fromHistory = new Set();
		for (const [list, hist] of [[rec.got, true], [rec.live, false]]) {
			for (const m of list) {
				const s = seqOf(m);
				if (s === null || (rec.after !== undefined &&
				    s <= rec.after) || bySeq.has(s))
					continue;
				bySeq.set(s, m);
				if (hist)
					fromHistory.add(s);
			}
		}
		const seqs = [...bySeq.keys()].sort((a, b) =>
		    a < b ? -1 : a > b ? 1 : 0);
		const missed = seqs.filter((s) => fromHistory.has(s) &&
		    !rec.live.some((m) => seqOf(m) === s));
		if (rec.after !== undefined && missed.length > 0)
			this.add(room, "room", { kind: "marker", text: "-- " +
			    missed.length + (missed.length === 1 ? " message" :
			    " messages") + (rec.reconnected ?
			    " while disconnected --" : " while you were away --") });
		let marked = rec.after !== undefined || missed.length === 0;
		for (const s of seqs) {
			if (!marked && !fromHistory.has(s)) {
				this.add(room, "room", { kind: "marker",
				    text: "-- end of history --" });
				marked = true;
			}
			this.roomLine(room, bySeq.get(s));
		}
		if (!marked)
			this.add(room, "room", { kind: "marker",
			    text: "-- end of history --" });
		if (seqs.length > 0)
			this.lastSeq.set(room, seqs[seqs.length - 1]);
		else if (rec.after === undefined)
			this.lastSeq.set(room, 0n);
	}

	// ------------------------------------------------------------ input

	// A line typed in the input: a command or a message to the entry shown.
	input(line) {
		if (line === "")
			return;
		if (line.startsWith("/") && !line.startsWith("//")) {
			this.command(line);
		} else {
			this.say(line.startsWith("//") ? line.slice(1) : line);
		}
		this.changed();
	}

	say(text) {
		const e = this.entries.get(this.current);
		if (e.kind === "pm")
			this.privmsg(e.key.slice(1), text);
		else if (e.kind === "room" && e.key === this.room)
			this.send({ action: "room_message", message: text });
		else
			this.notice("not in a room here: /join ROOM first");
	}

	join(room) {
		room = room.trim();
		if (room === "")
			return;
		this.send({ action: "join", room });
	}

	leave() {
		if (this.room === null)
			this.notice("not in a room");
		else
			this.send({ action: "leave" });
	}

	// To an id, or (version 2) to a name; opens the conversation.
	privmsg(target, text) {
		const m = { action: "private_message", message: text };
		const p = { text };
		if (/^[0-9]+$/.test(target) || this.version !== 2) {
			m.user_id = target;
			p.to = target;
		} else {
			m.name = target;
			p.name = target;
			for (const [id, n] of this.names) {
				if (n.toLowerCase() === target.toLowerCase())
					p.to = id;
			}
		}
		if (this.send(m))
			this.pendingPm.push(p);
	}

	// A conversation entry for an id or a known name.
	query(target) {
		let id = target;
		for (const [i, n] of this.names) {
			if (n.toLowerCase() === target.toLowerCase())
				id = i;
		}
		if (!/^[0-9]+$/.test(id)) {
			this.notice("no user " + target + " known here");
			return;
		}
		this.entry("@" + id, "pm");
		this.select("@" + id);
	}

	nick(name) {
		if (this.version !== 2) {
			this.notice("this server has no names (version 1)");
			return;
		}
		if (name !== "" && !NAME_RE.test(name)) {
			this.notice("a name is 1-32 letters, digits, _ or -, " +
			    "starting with a letter");
			return;
		}
		this.send({ action: "nick", name });
	}

	command(line) {
		const m = /^\/(\S+)\s*(.*)$/.exec(line);
		const cmd = m[1].toLowerCase(), arg = m[2];
		const sp = /^(\S+)\s+([\s\S]*)$/.exec(arg);
		switch (cmd) {
		case "join": case "j":
			if (arg.trim() === "")
				this.notice("usage: /join ROOM");
			else
				this.join(arg);
			break;
		case "leave": case "part":
			this.leave();
			break;
		case "msg":
			if (sp === null)
				this.notice("usage: /msg ID|NAME TEXT");
			else {
				this.privmsg(sp[1], sp[2]);
				this.query(sp[1]);
			}
			break;
		case "query":
			if (arg.trim() === "")
				this.notice("usage: /query ID|NAME");
			else
				this.query(arg.trim());
			break;
		case "nick":
			this.nick(arg.trim());
			break;
		case "rooms":
			this.showRooms++;
			this.send({ action: "rooms" });
			break;
		case "who": {
			const room = arg.trim() || this.room;
			if (room === null) {
				this.notice("usage: /who ROOM");
				break;
			}
			this.showWho.push(room);
			this.send({ action: "participants", room });
			break;
		}
		case "reconnect":
			this.reconnect();
			break;
		case "help":
			for (const l of HELP)
				this.notice(l);
			break;
		default:
			this.notice("unknown command /" + cmd + " (/help lists " +
			    "them)");
		}
	}
}

export const HELP = [
	"/join ROOM, /leave, /msg ID|NAME TEXT, /query ID|NAME, " +
	    "/nick NAME, /rooms, /who [ROOM], /reconnect, /help; //text sends " +
	    "/text",
	"Alt-j join, Alt-l leave, Alt-m private message, Alt-1..9 go to " +
	    "entry, Alt-a next unread, Alt-h help, Esc back to the input",
];
