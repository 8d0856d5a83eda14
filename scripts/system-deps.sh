#!/usr/bin/env bash
# Installs the system programs instrumental-maker runs (ffmpeg, yt-dlp, setpriv (yt-dlp dies with its service), rsync, sshd, rclone, espeak-ng, sshfs,
# chromium, apprise (notifications), fluidsynth and a General MIDI soundfont for the eval corpus, gcc for a test that
# builds a small LD_PRELOAD library) when they are missing. As root on
# Debian/Ubuntu it installs them with apt-get; otherwise it
# prints the command to run. Set IMK_SKIP_SYSTEM_DEPS=1 to skip (e.g. in a container that has them).
set -euo pipefail
[ "${IMK_SKIP_SYSTEM_DEPS:-0}" = "1" ] && exit 0

# binary -> Debian package
declare -A PKG=(
  [ffmpeg]=ffmpeg [ffprobe]=ffmpeg [yt-dlp]=yt-dlp [rsync]=rsync [ssh]=openssh-client
  [sshd]=openssh-server [ssh-keygen]=openssh-client [rclone]=rclone [espeak-ng]=espeak-ng
  [chromium]=chromium [setpriv]=util-linux [sqlite3]=sqlite3 [sox]=sox [sshfs]=sshfs [fusermount3]=fuse3 [fluidsynth]=fluidsynth [apprise]=apprise [gcc]=gcc
)
missing=()
for bin in "${!PKG[@]}"; do
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    missing+=("${PKG[$bin]}")
  fi
done
# The General MIDI soundfont `imk eval` renders its songs with (a file, not a program).
if [ ! -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ] && [ ! -e /usr/share/sounds/sf2/default-GM.sf2 ] \
  && [ ! -e /usr/share/sounds/sf3/default-GM.sf3 ]; then
  missing+=(fluid-soundfont-gm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "instrumental-maker: installing system packages: ${pkgs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
else
  echo "instrumental-maker: missing system packages: ${pkgs[*]}" >&2
  echo "  install them with:  sudo apt-get install -y ${pkgs[*]}" >&2
  echo "  (or set IMK_SKIP_SYSTEM_DEPS=1 to go on without them; the features that need them will say so)" >&2
  exit 1
fi
