#!/usr/bin/env bash
# Before the tests: the Debian packages in .ci/debian-packages and a Node.js that osimage supports. As root (CI and
# these machines) missing packages are installed; elsewhere one line names them, instead of many failing tests.
set -euo pipefail
cd "$(dirname "$0")/.."

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 22 ]; then
  echo "npm test: Node.js $(node --version) is too old; osimage needs 22 or later (24 LTS). On linux-x64 'npm ci' brings Node 24 into node_modules/.bin." >&2
  exit 1
fi

# moto's S3 server enforces conditional writes, as S3 does; it comes with moto, in Python.
if ! command -v moto_server >/dev/null; then
  echo "npm test: moto_server is missing; install it with: pip install 'moto[server]'" >&2
  exit 1
fi

mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' .ci/debian-packages)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "npm test: installing Debian packages the tests need: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "npm test: missing Debian packages: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
