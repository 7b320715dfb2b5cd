#!/bin/sh
# Source discipline the compiler cannot check:
#  1. every raw syscall lives in launcher/sys/: no inline asm, __NR_/SYS_ numbers or
#     syscall() anywhere else in launcher/ or codec/;
#  2. codec/ is freestanding: it includes only <stddef.h>, <stdint.h> and its own headers;
#  3. launcher/ includes no libstdc++ header;
#  4. every C++ file is formatted as .clang-format says;
#  5. every reference can be followed: a "section N" or "section N.M" (docs/PROTOCOL.md
#     is the only numbered document, so every one means it) is a heading there
#     (`## 7. ...`, `### 11.2 ...`); a decision code D<n> is defined there by a line
#     `- D<n>: ...`; a *.md file named exists (from the top, from the naming file's
#     directory, or, a bare name, anywhere; build/ and share/ paths are outputs).
set -eu
cd "$(dirname "$0")/.."
status=0
hits=$(grep -rnE '(^|[^a-z_])(asm|__asm__)[[:space:]]*(volatile|\(|__volatile__)|__NR_|[^a-zA-Z_]SYS_[a-z]|(^|[^a-z_])syscall[[:space:]]*\(' launcher codec --include='*.cpp' --include='*.h' | grep -v '^launcher/sys/' || true)
if [ -n "$hits" ]; then
    echo "lint: raw syscall outside launcher/sys/:"; echo "$hits"; status=1
fi
hits=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' codec | grep -vE '<(stddef|stdint)\.h>' || true)
if [ -n "$hits" ]; then
    echo "lint: codec/ must be freestanding (only <stddef.h>, <stdint.h>):"; echo "$hits"; status=1
fi
hits=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(c[a-z]+|[a-z_]+)>' launcher || true)
if [ -n "$hits" ]; then
    echo "lint: launcher/ must not include C++ library headers:"; echo "$hits"; status=1
fi
unformatted=$(find codec launcher host tests -name '*.cpp' -o -name '*.h' -o -name '*.hpp' | sort |
    while read -r f; do clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
if [ -n "$unformatted" ]; then
    echo "lint: not formatted as .clang-format says (run clang-format -i on them):"; echo "$unformatted"; status=1
fi
refs_in() { # grep options and pattern: file:line:match for every text file lint reads
    grep -rnoI "$@" codec launcher host tests toolchain docs README.md configure.py .ci \
        --include='*.cpp' --include='*.h' --include='*.hpp' --include='*.py' --include='*.sh' \
        --include='*.md' --include='*.json' --include='*.txt' --include=run \
        --include=README.md --include=configure.py || true
}
headings=$(grep -oE '^#{2,3} [0-9]+(\.[0-9]+)?' docs/PROTOCOL.md | sed 's/^#* //')
hits=$(refs_in -iE 'sections? [0-9]+(\.[0-9]+)?(( ?(-|,|and|or) ?)[0-9]+(\.[0-9]+)?)*' |
    while IFS= read -r hit; do
        for n in $(printf '%s\n' "${hit#*:*:}" | grep -oE '[0-9]+(\.[0-9]+)?'); do
            printf '%s\n' "$headings" | grep -qxF "$n" || { echo "$hit"; break; }
        done
    done)
if [ -n "$hits" ]; then
    echo "lint: a section that docs/PROTOCOL.md does not have (its headings: $(echo $headings)):"
    echo "$hits"; status=1
fi
defined=$(grep -oE '^- D[0-9]+:' docs/PROTOCOL.md | sed 's/^- //; s/:$//' || true)
hits=$(refs_in -wE 'D[0-9]+' | while IFS= read -r hit; do
    printf '%s\n' "$defined" | grep -qxF "${hit#*:*:}" || echo "$hit"
done)
if [ -n "$hits" ]; then
    echo "lint: a decision code that docs/PROTOCOL.md does not define (name the section instead):"
    echo "$hits"; status=1
fi
mds=$(find . -path ./build -prune -o -name '*.md' -print)
hits=$(refs_in -E '[A-Za-z0-9_./%$-]*[A-Za-z0-9_-]\.md\b' | while IFS= read -r hit; do
    file=${hit%%:*} ref=${hit#*:*:}
    case $ref in *[%\$]* | build/* | share/*) continue ;; esac
    [ -f "$ref" ] || [ -f "$(dirname "$file")/$ref" ] && continue
    case $ref in */*) ;; *) printf '%s\n' "$mds" | grep -q "/$ref\$" && continue ;; esac
    echo "$hit"
done)
if [ -n "$hits" ]; then
    echo "lint: a reference to a .md file that is not in the repository:"; echo "$hits"; status=1
fi
exit $status
