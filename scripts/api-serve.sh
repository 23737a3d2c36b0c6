# Sourced by scripts/api-fuzz and scripts/api-client: a demo deployment served on a free port of
# the loopback interface, with a coordinator's and a focal point's API tokens. Sets T (the
# binary), W (a scratch directory), PORT, URL, COORD, FP, SERVER; stops the server and removes W
# on exit. TESSERA_BIN chooses the binary (default: a release build); TESSERA_DEMO_RECORDS the
# demo's size (default 3000).
T="${TESSERA_BIN:-}"
if [ -z "$T" ]; then
    cargo build --release -q -p tessera --bin tessera
    T="${CARGO_TARGET_DIR:-target}/release/tessera"
fi
W=$(mktemp -d)
SERVER=""
cleanup() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi; rm -rf "$W"; }
trap cleanup EXIT
"$T" demo --records "${TESSERA_DEMO_RECORDS:-3000}" --db "$W/st.db" --truth "$W/truth.csv" 2>/dev/null
COORD=$("$T" user token --db "$W/st.db" --username coordinator)
FP=$("$T" user token --db "$W/st.db" --username fp-police-berberati)
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$T" serve --db "$W/st.db" --listen "127.0.0.1:$PORT" 2>"$W/serve.log" &
SERVER=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 150); do
    "$PY" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1])" "$URL/healthz" 2>/dev/null && break
    sleep 0.2
done
