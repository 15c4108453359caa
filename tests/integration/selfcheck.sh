# Checks on the checks: a shell test must report what it names. In
# `check NAME CMD && MORE` the shell runs `check NAME CMD` and only then MORE,
# so MORE is tested by nobody; such a line reads right and can never fail on
# its second half. Write two checks, or one command (a function, or sh -c).
. tests/integration/lib.sh
hidden() { grep -n '^[[:space:]]*check ' "$@" | grep ' && \| || ' | grep -v 'sh -c'; }
bad=$(hidden tests/integration/*.sh)
if [ -n "$bad" ]; then not_ok "no check hides a condition behind && or ||" "$bad"; else ok "no check hides a condition behind && or ||"; fi
printf 'check "x" [ 1 -eq 1 ] && grep -q y f\ncheck "ok" sh -c "a && b"\n' >"$T/plant.sh"
check "a planted hidden condition is caught, sh -c is not" [ "$(hidden "$T/plant.sh" | wc -l)" -eq 1 ]
finish
