// The connection: one WebSocket to this page's own server, JSON objects in
// and out, and a reconnect with backoff whenever it drops.  Knows nothing
// of the chat itself (chat-model.js does).

// Reconnect backoff, as chat-tui's (TUI_BACKOFF_*_MS in chat-limits.h).
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 10000;
// The server closes a session's old connection with this when the session
// is resumed elsewhere (doc/protocol.md, hello).
const CLOSE_REPLACED = 4000;

export function endpointUrl(loc) {
	const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
	return scheme + "//" + loc.host + "/chatserver/connect";
}

// "Equal jitter": somewhere in [base / 2, base], base doubling per attempt.
export function backoffMs(attempt) {
	let base = BACKOFF_MIN_MS;
	for (let i = 0; i < attempt && base < BACKOFF_MAX_MS; i++)
		base *= 2;
	base = Math.min(base, BACKOFF_MAX_MS);
	return base / 2 + Math.floor(Math.random() * (base / 2 + 1));
}

export class Connection {
	// handlers: onState(state, detail), onMessage(object)
	constructor(url, handlers) {
		this.url = url;
		this.handlers = handlers;
		this.ws = null;
		this.attempt = 0;
		this.timer = null;
		this.state = "connecting";
	}

	start() {
		this.open();
	}

	setState(state, detail) {
		this.state = state;
		this.handlers.onState(state, detail || "");
	}

	open() {
		this.timer = null;
		this.setState("connecting");
		const ws = new WebSocket(this.url);
		this.ws = ws;
		ws.onopen = () => {
			this.attempt = 0;
			this.setState("connected");
		};
		ws.onmessage = (ev) => {
			if (typeof ev.data !== "string")
				return;
			let m;
			try {
				m = JSON.parse(ev.data);
			} catch (e) {
				return;	// not ours to show: ignore, as chat-tui
			}
			if (m !== null && typeof m === "object" &&
			    typeof m.action === "string")
				this.handlers.onMessage(m);
		};
		ws.onclose = (ev) => {
			if (this.ws !== ws)
				return;
			this.ws = null;
			const why = ev.code === 1006 ? "" :
			    ev.code + (ev.reason ? " " + ev.reason : "");
			if (ev.code === CLOSE_REPLACED) {
				// The session went to another window: taking it
				// back at once would make the two fight.
				this.setState("replaced", why);
				return;
			}
			this.setState("disconnected", why);
			this.timer = setTimeout(() => this.open(),
			    backoffMs(this.attempt++));
		};
	}

	// Now, rather than when the backoff says (or after "replaced").
	reconnect() {
		if (this.ws !== null)
			return;
		clearTimeout(this.timer);
		this.open();
	}

	send(obj) {
		if (this.ws === null || this.ws.readyState !== WebSocket.OPEN)
			return false;
		this.ws.send(JSON.stringify(obj));
		return true;
	}
}
