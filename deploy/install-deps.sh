#!/bin/sh
# Installs everything sessacct needs to build and test on Debian 12.
# Run as root (or with sudo available). Safe to run again.
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
	build-essential clang cmake pkg-config python3 \
	libpcap-dev libinih-dev libcmocka-dev \
	libzmq3-dev libczmq-dev librocksdb-dev libmsgpack-dev libcivetweb-dev \
	libjansson-dev python3-zmq python3-msgpack python3-yaml \
	nats-server libnats-dev \
	prometheus chromium wrk \
	dante-server microsocks tinyproxy haproxy curl openssl passwd \
	debhelper lintian man-db
