# Checks on the checks: a shell test must report what it names. In
# `check NAME CMD && MORE` the shell runs `check NAME CMD` and only then MORE,
# so MORE is tested by nobody; such a line reads right and can never fail on
# its second half. Write two checks, or one command (a function, or sh -c).
. tests/integration/lib.sh
# A check continued over lines (a trailing backslash) is read as one line, and
# only an && or || outside quotes and $( ) counts (SQL's || in a query does not).
hidden() {
	for f in "$@"; do
		awk -v F="$f" '
		function bare(l,   i, c, n, st, d) {
			d = 0; st[0] = "T"
			for (i = 1; i <= length(l); i++) {
				c = substr(l, i, 1); n = substr(l, i + 1, 1)
				if (st[d] == "S") { if (c == "\047") d--; continue }
				if (c == "\\") { i++; continue }
				if (st[d] == "D") {
					if (c == "\"") d--
					else if (c == "$" && n == "(") { st[++d] = "C"; i++ }
					continue
				}
				if (c == "\047") st[++d] = "S"
				else if (c == "\"") st[++d] = "D"
				else if (c == "$" && n == "(") { st[++d] = "C"; i++ }
				else if (c == "(") st[++d] = "P"
				else if (c == ")" && d > 0) d--
				else if (d == 0 && (c n == "&&" || c n == "||")) return 1
			}
			return 0
		}
		{ if (!cont) { line = ""; at = NR } line = line $0
		  cont = sub(/\\$/, "", line)
		  if (!cont && line ~ /^[[:space:]]*check / && bare(line)) print F ":" at ":" line }' "$f"
	done
}
bad=$(hidden tests/integration/*.sh)
if [ -n "$bad" ]; then not_ok "no check hides a condition behind && or ||" "$bad"; else ok "no check hides a condition behind && or ||"; fi
printf 'check "x" [ 1 -eq 1 ] && grep -q y f\ncheck "ok" sh -c "a && b"\ncheck "sql" [ "$(q "SELECT a || b")" = x ]\ncheck "y" \\\n\t[ 1 -eq 1 ] && grep -q y f\n' >"$T/plant.sh"
check "planted hidden conditions are caught (one over two lines), sh -c is not" [ "$(hidden "$T/plant.sh" | wc -l)" -eq 2 ]
finish
