# The layering test: every #include in the product's folders stays inside the
# edges mk/layers allows (a folder's own headers, and the headers of the folders
# its line names), and the system headers that belong to one room (SQLite,
# libcurl, curses, libmicrohttpd) appear only there. A quoted include without a
# folder must name a header in the including file's own folder.
. tests/integration/lib.sh

rules=mk/layers
layers=$(sed -n 's/^\([a-z]*\):.*/\1/p' "$rules" | tr '\n' ' ')

# allowed LAYER: the folders LAYER may include, itself first.
allowed() { echo "$1 $(sed -n "s/^$1:[[:space:]]*//p" "$rules")"; }
# owners HEADER: the folders a system header belongs to ("" when it belongs anywhere).
owners() { grep -F "<$1>:" "$rules" | sed 's/^[^:]*>:[[:space:]]*//'; }

# scan LAYER FILE...: one line per include that breaks the rules.
scan() {
	l=$1; shift
	ok_dirs=$(allowed "$l")
	for f in "$@"; do
		grep -n '^[[:space:]]*#[[:space:]]*include' "$f" | while IFS= read -r line; do
			n=${line%%:*}
			inc=$(echo "$line" | sed -n 's/.*include[[:space:]]*\(["<][^">]*[">]\).*/\1/p')
			case "$inc" in
			\"*/*\")
				dir=$(echo "$inc" | sed 's/^"\([^/]*\)\/.*/\1/')
				case " $ok_dirs " in
				*" $dir "*) ;;
				*) echo "$f:$n: $l/ may not include $inc (mk/layers: $l: ${ok_dirs#"$l "})" ;;
				esac ;;
			\"*\")
				h=$(echo "$inc" | tr -d '"')
				[ -e "$(dirname "$f")/$h" ] || echo "$f:$n: $inc is not in $l/ (name its folder)" ;;
			\<*\>)
				h=$(echo "$inc" | tr -d '<>')
				own=$(owners "$h")
				if [ -n "$own" ]; then
					case " $own " in
					*" $l "*) ;;
					*) echo "$f:$n: $inc belongs to $own, not $l/" ;;
					esac
				fi ;;
			esac
		done
	done
}

missing=""
for l in $layers; do [ -d "$l" ] || missing="$missing $l"; done
check "every layer of mk/layers is a folder${missing:+ (missing:$missing)}" [ -z "$missing" ]

: >"$T/bad"
nfiles=0
for l in $layers; do
	set -- $(ls "$l"/*.c "$l"/*.h 2>/dev/null)
	nfiles=$((nfiles + $#))
	[ $# -gt 0 ] && scan "$l" "$@" >>"$T/bad"
done
check "the rules read every product file ($nfiles)" [ "$nfiles" -gt 100 ]
if [ -s "$T/bad" ]; then
	not_ok "every #include stays inside mk/layers" "$(cat "$T/bad")"
else
	ok "every #include stays inside mk/layers"
fi

# The scan must be able to fail: planted includes that break each kind of rule.
mkdir -p "$T/core"
printf '#include "cache/cache.h"\n#include <sqlite3.h>\n#include "nowhere.h"\n#include "core/core.h"\n' \
	>"$T/core/plant.c"
scan core "$T/core/plant.c" >"$T/plant"
check "a planted core/ -> cache/ include is caught" grep -q 'core/ may not include "cache/cache.h"' "$T/plant"
check "a planted <sqlite3.h> outside cache/ is caught" grep -q '<sqlite3.h> belongs to cache' "$T/plant"
check "a planted bare include of another folder's header is caught" grep -q '"nowhere.h" is not in core/' "$T/plant"
check "an allowed include is not reported" [ "$(wc -l <"$T/plant")" -eq 3 ]

# SQLite is cache/'s alone: no other product file names it, not even through a
# cache/ header that would bring <sqlite3.h> along (the include rule above
# would not see that).
sqlite_outside_cache() { grep -l 'sqlite3' "$@" 2>/dev/null | grep -v '^cache/'; }
set -- $(for l in $layers; do [ "$l" = cache ] || ls "$l"/*.c "$l"/*.h 2>/dev/null; done)
bad_sqlite=$(sqlite_outside_cache "$@")
if [ -n "$bad_sqlite" ]; then
	not_ok "no product file outside cache/ names sqlite3" "$bad_sqlite"
else
	ok "no product file outside cache/ names sqlite3"
fi
mkdir -p "$T/local"
printf 'static int f(sqlite3_stmt *st) { return sqlite3_step(st); }\n' >"$T/local/detect_plant.c"
check "a planted sqlite3 call in local/ is caught" \
	[ "$(sqlite_outside_cache "$T/local/detect_plant.c")" = "$T/local/detect_plant.c" ]

# Every folder that holds product code is named in mk/layers.
: >"$T/unnamed"
for d in */; do
	d=${d%/}
	case "$d" in build | build-asan | tests | bench) continue ;; esac
	ls "$d"/*.c >/dev/null 2>&1 || continue
	case " $layers " in
	*" $d "*) ;;
	*) echo "$d/ holds C files but is not in mk/layers" >>"$T/unnamed" ;;
	esac
done
if [ -s "$T/unnamed" ]; then not_ok "every folder with C files is a layer" "$(cat "$T/unnamed")"; else ok "every folder with C files is a layer"; fi
finish
