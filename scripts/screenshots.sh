#!/usr/bin/env bash
# Renders the README's screenshots of the viewer: records the demo run (the reference model
# answering prompts/demo.txt, streaming policy), opens the real viewer in a detached 100×30 tmux
# pane, presses keys, captures the pane with its colours (tmux capture-pane -e) and draws the
# cells to PNG (scripts/ansi_to_png.py, Pillow, DejaVu Sans Mono).
#   bash scripts/screenshots.sh        # writes docs/screenshot-overview.png, -heatmap.png, -tokens.png
# Not part of the tests; installs what it needs beyond scripts/setup.sh itself.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
for pkg in tmux fonts-dejavu-core; do dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg"); done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
PY=${PYTHON:-python3}
$PY -c 'import PIL' 2>/dev/null || $PY -m pip install -q pillow

bin=${ATTNSCOPE_BIN:-.build/release/attnscope}
[ -x "$bin" ] || swift build -c release
work=$(mktemp -d)
sock=attnscope-shots-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
trace=$work/demo.atrace
"$bin" record --prompt-file prompts/demo.txt --chat -n 64 --policy streaming:sink=4,window=64 \
  --capture rows --row-interval 4 --out "$trace" >/dev/null

tmux -L "$sock" new-session -d -s shots -x 100 -y 30 \
  "TERM=xterm-256color COLORTERM=truecolor LANG=C.UTF-8 $bin view --no-mouse $trace"

# waits until the pane shows $1 (the viewer draws asynchronously), then captures it to PNG $2
shot() {
  local want=$1 name=$2
  for _ in $(seq 100); do
    tmux -L "$sock" capture-pane -p -t shots | grep -qF -- "$want" && break
    sleep 0.1
  done
  sleep 0.3
  tmux -L "$sock" capture-pane -e -p -t shots > "$work/$name.ansi"
  $PY scripts/ansi_to_png.py "$work/$name.ansi" "docs/screenshot-$name.png" --cols 100 --rows 30
  echo "docs/screenshot-$name.png: $(stat -c %s "docs/screenshot-$name.png") bytes"
}
keys() { tmux -L "$sock" send-keys -t shots "$@"; }

keys ":" "s" " " "2" "4" "Enter"     # step 24 of the answer
keys ")" ")" ")"                     # layer 3
shot "step 24/" overview
keys "Enter"                         # the selected head's heatmap: key position × decode step
shot "key position" heatmap
keys "5"                             # the tokens, coloured by the attention they receive
shot "attention received" tokens
keys "q"
