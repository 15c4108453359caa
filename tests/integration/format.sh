# The formatting check: every C file of the tree is as clang-format leaves it
# (.clang-format at the top). `make format` fixes what this reports.
. tests/integration/lib.sh
if ! command -v clang-format >/dev/null 2>&1; then
	not_ok "clang-format is installed (make deps installs it)"
	finish
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find . -name '*.[ch]' -not -path './build*')
fi
n=$(echo "$files" | wc -l)
clang-format --dry-run --Werror $files >"$T/fmt" 2>&1
bad=$(grep -o '^[^:]*\.[ch]:' "$T/fmt" | sort -u | tr -d ':' | tr '\n' ' ')
if [ -z "$bad" ] && [ -s "$T/fmt" ]; then bad="(clang-format failed: $(head -1 "$T/fmt"))"; fi
check "all $n C files are formatted (make format fixes: ${bad:-none})" [ -z "$bad" ]
# The check can fail: a badly indented copy of a file is reported.
mkdir -p "$T/plant"
printf 'int  f( void ){return 0;}\n' >"$T/plant/x.c"
cp .clang-format "$T/plant/"
check "an unformatted file is reported" sh -c "! clang-format --dry-run --Werror '$T/plant/x.c' 2>/dev/null"
finish
