# The design's home is docs/design.md: every section a comment or a doc cites
# there exists, and nothing cites the starting sketch (DESIGN.md) any more.
. tests/integration/lib.sh
files=$(git ls-files '*.c' '*.h' '*.sh' '*.md' 2>/dev/null || find . -name '*.[ch]' -o -name '*.md' -o -name '*.sh')
files=$(echo "$files" | grep -v '^tests/integration/docs.sh$')
old=$(grep -ln 'DESIGN\.md' $files 2>/dev/null | grep -v '^docs/design.md$' | tr '\n' ' ')
check "no file cites the sketch DESIGN.md (${old:-none})" [ -z "$old" ]
cited=$(grep -oh 'design\.md §[0-9][0-9]*\(, §[0-9][0-9]*\)*' $files | grep -o '§[0-9]*' | tr -d '§' | sort -un)
n=$(echo "$cited" | grep -c .)
missing=""
for s in $cited; do grep -q "^## $s\. " docs/design.md || missing="$missing §$s"; done
check "the $n sections of docs/design.md cited exist${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "comments cite more than a few sections ($n)" [ "$n" -gt 3 ]
check "docs/design.md names every layer of mk/layers" sh -c '
	for l in $(sed -n "s/^\([a-z]*\):.*/\1/p" mk/layers); do
		grep -q "^| \`$l/\` |" docs/design.md || { echo "# $l/ is not in the layers table"; exit 1; }
	done'
finish
