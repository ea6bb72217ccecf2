# Shared by eng/demo.sh and eng/demo-kubenet.sh (sourced): step headings with timings, a final summary, and
# colours only when stdout is a terminal (a log file gets plain text).
if [ -t 1 ]; then
  c_bold=$'\033[1m' c_dim=$'\033[2m' c_cyan=$'\033[36m' c_green=$'\033[32m' c_red=$'\033[31m' c_off=$'\033[0m'
else
  c_bold='' c_dim='' c_cyan='' c_green='' c_red='' c_off=''
fi
demo_started=$SECONDS
step_name='' step_started=$SECONDS
step_names=() step_seconds=()

_close_step() {
  if [ -n "$step_name" ]; then
    step_names+=("$step_name"); step_seconds+=($((SECONDS - step_started)))
    printf '%s  (%ds)%s\n' "$c_dim" "$((SECONDS - step_started))" "$c_off"
  fi
}

# step "what happens next": closes the previous step (printing its time) and opens a new one.
step() {
  _close_step
  step_name=$1 step_started=$SECONDS
  printf '\n%s### %s%s\n' "$c_bold" "$*" "$c_off"
}

# say "command": shows a command the way a reader would type it.
say() { printf '  %s$ %s%s\n' "$c_cyan" "$*" "$c_off"; }
run() { say "$*"; "$@"; }

# progress "message": a line while something long runs (build, publish).
progress() { printf '  %s… %s%s\n' "$c_dim" "$*" "$c_off"; }

# summary ok|failed: the steps with their times and the total; called from an EXIT trap.
summary() {
  local result=$1
  _close_step; step_name=''
  printf '\n%s### summary%s\n' "$c_bold" "$c_off"
  local i
  for i in "${!step_names[@]}"; do printf '  %4ds  %s\n' "${step_seconds[$i]}" "${step_names[$i]}"; done
  if [ "$result" = ok ]; then
    printf '%s  demo passed in %ds%s\n' "$c_green" "$((SECONDS - demo_started))" "$c_off"
  else
    printf '%s  demo FAILED after %ds (at: %s)%s\n' "$c_red" "$((SECONDS - demo_started))" "${step_names[-1]:-start}" "$c_off"
  fi
}

# build_and_publish: the Release build and the NativeAOT plugins and tools, with a line per project.
build_and_publish() {
  step "build (Release) — about 1–2 min on a first run on an idle machine"
  dotnet build "$root/Cni.Net.sln" -c Release -nologo -v:m -clp:NoSummary -tl:off 2>&1 |
    sed -un 's|^ *\([^ ]*\) -> .*|  built \1|p'
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "  build failed: run 'dotnet build Cni.Net.sln -c Release' to see why"; return 1; }
  step "publish the NativeAOT plugins (artifacts/cni/bin) and tools (artifacts/bin) — eng/publish.sh, 3–4 min on a first run on an idle machine"
  "$root/eng/publish.sh"
}
