// The page: a connection, the model and the view, wired together.
// ?room=NAME in the page's URL joins that room at start.
import { Connection, endpointUrl } from "./chat-net.js";
import { ChatModel, ROOMS_REFRESH_MS } from "./chat-model.js";
import { ChatView } from "./chat-view.js";

const view = new ChatView(document, location.host);
const conn = new Connection(endpointUrl(location), {
	onState: (state, detail) => model.onState(state, detail),
	onMessage: (m) => model.onMessage(m),
});
const model = new ChatModel((m) => conn.send(m), window.localStorage,
    () => view.schedule());
model.reconnect = () => conn.reconnect();

const room = new URLSearchParams(location.search).get("room");
if (room !== null && room !== "")
	model.startRoom = room;
view.attach(model);
conn.start();
setInterval(() => model.refresh(), ROOMS_REFRESH_MS);
