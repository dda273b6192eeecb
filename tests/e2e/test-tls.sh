#!/bin/sh
# chat-tui over wss:// (issue 4, "Encryption"): with --ca naming the
# server's self-signed certificate it connects and chats; without it the
# certificate is not trusted and the client stays disconnected.
. "$(dirname "$0")/e2elib.sh"
e2e_init
command -v openssl >/dev/null 2>&1 || skip_all "openssl not installed"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$E2E_TMP/key.pem" -out "$E2E_TMP/cert.pem" >/dev/null 2>&1 ||
    bail "openssl req failed"
server_start --tls-cert "$E2E_TMP/cert.pem" --tls-key "$E2E_TMP/key.pem"
URL="wss://localhost:$SERVER_PORT/chatserver/connect"

tui_start a 100 30 -s "$URL" --ca "$E2E_TMP/cert.pem"
tui_start b 100 30 -s "$URL" --ca "$E2E_TMP/cert.pem"
check "a connects over wss with --ca" wait_row a -2 "\| connected \|" 10
check "b connects over wss with --ca" wait_row b -2 "\| connected \|" 10
A=$(own_id a)
say a "/join vault"
say b "/join vault"
check "b sees a's room over TLS" wait_for b "Users \(2\)"
say a "sealed"
check "a room message crosses TLS" wait_for b "<$A> sealed"

# The system store does not know this certificate: refused.
tui_start c 100 30 -s "$URL"
check "c (no --ca) shows the server as not connected" \
    wait_row c -2 "\| (disconnected|connecting) \|" 10
sleep 1
check "c never connects without trusting the certificate" \
    lacks c "\| connected \|"
check "nobody untrusted joined the server's users" wait_for a "Users \(2\)"

keys a F10
check "a quits cleanly" test "$(pane_dead a)" = 0
e2e_done
