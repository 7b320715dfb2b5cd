#!/bin/sh
# Source discipline the compiler cannot check:
#  1. every raw syscall lives in launcher/sys/: no inline asm, __NR_/SYS_ numbers or
#     syscall() anywhere else in launcher/ or codec/;
#  2. codec/ is freestanding: it includes only <stddef.h>, <stdint.h> and its own headers;
#  3. launcher/ includes no libstdc++ header;
#  4. every C++ file is formatted as .clang-format says.
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
exit $status
