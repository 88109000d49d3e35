#!/bin/sh
# Headless Chromium for the browser tests (tests/browser): Debian's chromium and
# chromium-driver, plus a CJK font so that screenshots and charts show Chinese text instead of
# boxes, and poppler (pdftotext, pdffonts) for the checks of the PDF notices.
# Idempotent: installs only what is missing, and only as root; otherwise says what to run.
set -eu

packages=""
[ -x /usr/bin/chromium ] || packages="chromium chromium-driver"
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    packages="$packages fonts-noto-cjk"
fi
# Notices: the tests read the PDF with pdftotext and check its fonts with pdffonts.
command -v pdftotext >/dev/null 2>&1 || packages="$packages poppler-utils"

if [ -z "$packages" ]; then
    echo "浏览器测试环境已就绪：/usr/bin/chromium 与中文字体均已安装。"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "缺少：$packages" >&2
    echo "请以 root 运行：apt-get update && apt-get install -y --no-install-recommends $packages" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086  # the package list is meant to split into words
apt-get install -y -q --no-install-recommends $packages
[ -x /usr/bin/chromium ] || { echo "安装后仍未找到 /usr/bin/chromium" >&2; exit 1; }
echo "已安装：$packages"
