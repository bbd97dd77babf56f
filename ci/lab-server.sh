# Sourced by ci/conformance.sh and ci/idp-suites.sh: one `scim-seat serve --lab` on loopback for an
# outside checker to drive. The caller sets `label` (the prefix of its messages) before sourcing.

server_pid=""
server_out=""
server_log=""

# show_server_output: the server's stdout (tokens hidden) and the end of its log, on stderr.
show_server_output() {
  sed 's/\(token (shown once): \).*/\1<hidden>/' "$server_out" >&2
  tail -n 50 "$server_log" >&2
}

# start_lab_server BIN DIR DOMAIN: a fresh database in DIR; sets server_pid, scim_url, admin_url,
# scim_token and admin_token. Returns 1, with the server's output, if it is not ready within 30 s.
start_lab_server() {
  local bin="$1" dir="$2" domain="$3"
  mkdir -p "$dir"
  server_out="$dir/server.stdout"
  server_log="$dir/server.log"
  echo "== $label: starting $bin serve --lab $domain on 127.0.0.1:0"
  RUST_LOG="${RUST_LOG:-warn}" "$bin" serve --db "$dir/scim-seat.db" --listen 127.0.0.1:0 \
    --admin-listen 127.0.0.1:0 --lab "$domain" >"$server_out" 2>"$server_log" </dev/null &
  server_pid=$!
  local ready=""
  for _ in $(seq 1 300); do
    if ready="$(grep -m1 '^scim-seat ready ' "$server_out")"; then
      break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "$label: the server exited before it was ready; its output:" >&2
      show_server_output
      return 1
    fi
    sleep 0.1
  done
  if [[ -z "$ready" ]]; then
    echo "$label: the server printed no ready line within 30 s; its output:" >&2
    show_server_output
    return 1
  fi
  scim_url="$(sed -n 's/.* scim=\([^ ]*\).*/\1/p' <<<"$ready")"
  admin_url="$(sed -n 's/.* admin=\([^ ]*\).*/\1/p' <<<"$ready")"
  scim_token="$(sed -n 's/^scim token (shown once): //p' "$server_out" | head -n1)"
  admin_token="$(sed -n 's/^admin token (shown once): //p' "$server_out" | head -n1)"
  if [[ -z "$scim_url" || -z "$admin_url" || -z "$scim_token" || -z "$admin_token" ]]; then
    echo "$label: could not read the URLs and tokens from the server's stdout:" >&2
    show_server_output
    return 1
  fi
  echo "== $label: server ready, SCIM at $scim_url"
}

# check_server_alive [NAME]: a server that died during a run fails it (the end of its log is shown).
check_server_alive() {
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "$label: ${1:+$1: }the server died during the run; the end of its log:"
    tail -n 50 "$server_log"
    return 1
  fi
}

# stop_server: SIGTERM, up to 10 s, then SIGKILL; a non-zero exit after SIGTERM is noted (SPEC: 0).
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$server_pid" 2>/dev/null && ((waited < 100)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "$label: the server did not stop within 10 s of SIGTERM; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    local code=0
    wait "$server_pid" 2>/dev/null || code=$?
    if ((code != 0)); then
      echo "$label: note: the server exited with status $code after SIGTERM (SPEC: 0)"
    fi
  fi
  server_pid=""
}
