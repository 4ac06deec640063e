#!/usr/bin/env bash
# Installs what building and testing mysql-server-mock needs, and nothing that is already there.
#   scripts/setup.sh build   system libraries for `swift build` (duktape-dev, libpcre2-dev, zlib1g-dev,
#                            libzstd-dev, pkg-config)
#   scripts/setup.sh test    the above plus real MySQL clients and drivers (mariadb-client,
#                            the driver matrix's packages), mariadb-server to calibrate against,
#                            openssl, chromium and chromium-driver (the dashboard's tests), and a
#                            Python venv in .venv (Tests/Integration/requirements.txt)
#   scripts/setup.sh bench   the test set plus sysbench, and socat (a byte relay to compare the
#                            recorder's relaying with)
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-build}
packages=(pkg-config duktape-dev libpcre2-dev zlib1g-dev libzstd-dev)
if [ "$what" = test ] || [ "$what" = bench ]; then
    # Real clients, and a real server to calibrate the driver matrix against (issue 15);
    # libmariadb-dev and python3-dev build mysqlclient.
    packages+=(mariadb-client mariadb-server openssl python3-venv python3-dev libmariadb-dev
               php-cli php-mysql nodejs node-mysql libdbd-mariadb-perl libdbd-mysql-perl ruby-mysql2
               golang-go golang-github-go-sql-driver-mysql-dev default-jdk-headless libmariadb-java
               chromium chromium-driver)
fi
if [ "$what" = bench ]; then
    packages+=(sysbench libssl-dev socat)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$what" = test ] || [ "$what" = bench ]; then
    stamp=.venv/.requirements-installed
    if [ ! -f "$stamp" ] || [ Tests/Integration/requirements.txt -nt "$stamp" ]; then
        echo "setup: preparing .venv"
        [ -x .venv/bin/python ] || python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check -r Tests/Integration/requirements.txt
        touch "$stamp"
    fi
    # The Python package in python/ (MockServer, the pytest plugin), again whenever it changed.
    package_stamp=.venv/.python-package-installed
    if [ ! -f "$package_stamp" ] || [ -n "$(find python -newer "$package_stamp" -type f -print -quit)" ]; then
        echo "setup: installing python/ into .venv"
        .venv/bin/pip install -q --disable-pip-version-check ./python
        touch "$package_stamp"
    fi
fi
