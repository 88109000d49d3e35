#!/bin/sh
# Fonts for notices in 公文 layout (docs/notices.md, "Fonts"), all open-licensed Debian packages:
#   fonts-noto-cjk        Noto Serif CJK SC (title in Bold as the 小标宋-class face, fallback for
#                         every role) and Noto Sans CJK SC (黑体-class headings)     — OFL 1.1
#   texlive-lang-chinese  FandolFang (仿宋, body text) and FandolKai (楷体, second-level headings)
#                         — GPL 3 with the font exception. Only the font files and their licence
#                         are taken out of the package: TeX Live itself (270 MB) is not needed.
# As root the fonts go to /usr/local/share/fonts/pingtai, otherwise to the user's font folder;
# fontconfig, matplotlib and the PDF writer all read both. Idempotent: does nothing when every
# font is present. Without apt (not Debian) it says what is missing and exits 1.
set -eu

have() { fc-list 2>/dev/null | grep -q "$1"; }

missing=""
have "Noto Serif CJK SC" || missing="$missing fonts-noto-cjk"
have "Noto Sans CJK SC" || case "$missing" in *fonts-noto-cjk*) ;; *) missing="$missing fonts-noto-cjk" ;; esac
{ have "FandolFang" && have "FandolKai"; } || missing="$missing texlive-lang-chinese"

if [ -z "$missing" ]; then
    echo "公文字体已就绪：Noto Serif/Sans CJK SC、FandolFang（仿宋）、FandolKai（楷体）。"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "缺少公文字体（Debian 软件包：$missing），本机没有 apt，请按 docs/notices.md 手工安装。" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    target=/usr/local/share/fonts/pingtai
else
    target="${XDG_DATA_HOME:-$HOME/.local/share}/fonts/pingtai"
fi
mkdir -p "$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Only the font files and licences of the package are unpacked; nothing is registered with dpkg,
# so this works without root as well.
extract() {  # extract PACKAGE FILE-PATTERN...
    package=$1
    shift
    (cd "$work" && apt-get download -q "$package" >/dev/null 2>&1) || {
        [ "$(id -u)" -eq 0 ] && apt-get update -q >/dev/null && (cd "$work" && apt-get download -q "$package" >/dev/null)
    } || { echo "无法下载 Debian 软件包 $package" >&2; exit 1; }
    mkdir -p "$work/$package"
    dpkg-deb -x "$work/${package}"_*.deb "$work/$package"
    for pattern in "$@"; do
        find "$work/$package" -name "$pattern" -exec cp {} "$target/" \;
    done
}

case "$missing" in *fonts-noto-cjk*)
    if [ "$(id -u)" -eq 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends fonts-noto-cjk >/dev/null 2>&1 || {
            apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends fonts-noto-cjk >/dev/null
        }
    else
        extract fonts-noto-cjk 'NotoSerifCJK-Regular.ttc' 'NotoSerifCJK-Bold.ttc' 'NotoSansCJK-Regular.ttc' 'NotoSansCJK-Bold.ttc'
        cp "$work/fonts-noto-cjk/usr/share/doc/fonts-noto-cjk/copyright" "$target/noto-cjk-copyright"
    fi
    ;;
esac
case "$missing" in *texlive-lang-chinese*)
    extract texlive-lang-chinese 'FandolFang-Regular.otf' 'FandolKai-Regular.otf'
    find "$work/texlive-lang-chinese" -path '*fandol*' \( -name 'COPYING*' -o -name 'README' \) \
        -exec sh -c 'for f; do cp "$f" "$0/fandol-$(basename "$f")"; done' "$target" {} +
    ;;
esac

fc-cache -f "$target" >/dev/null 2>&1 || true
echo "已安装公文字体：$missing → $target"
