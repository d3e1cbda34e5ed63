# Sourced by scripts/test and scripts/bench: a private D-Bus session with an
# unlocked gnome-keyring, and a virtual display. Each start_* adds its own
# cleanup to the caller's `cleanup` array (run by the caller's EXIT trap).

start_keyring() {
  local keyring_dir deadline dbus_pid
  keyring_dir=$(mktemp -d)
  read -r DBUS_SESSION_BUS_ADDRESS dbus_pid < <(dbus-daemon --session --fork --print-address=1 --print-pid=1 | paste -sd' ')
  export DBUS_SESSION_BUS_ADDRESS
  cleanup+=("kill $dbus_pid" "rm -rf '$keyring_dir'")
  printf %s latch-test | XDG_DATA_HOME="$keyring_dir" gnome-keyring-daemon --unlock --components=secrets >/dev/null
  deadline=$((SECONDS + 20))
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
    ((SECONDS < deadline)) || { echo "gnome-keyring did not start" >&2; return 1; }
    sleep 0.05
  done
}

start_display() {
  local display_file deadline
  display_file=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$display_file" 2>/dev/null &
  cleanup+=("kill $!" "rm -f '$display_file'")
  deadline=$((SECONDS + 20))
  until [[ -s "$display_file" ]]; do
    ((SECONDS < deadline)) || { echo "Xvfb did not start" >&2; return 1; }
    sleep 0.05
  done
  export DISPLAY=":$(head -n1 "$display_file")"
}
