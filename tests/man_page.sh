#!/bin/sh
# The man page that `make install` installs: man/mscnn.1, built from
# man/mscnn.1.in with the version and sysconfdir filled in. It must carry
# the version `mscnn --version` prints and the configured sysconfdir, keep
# no @WORD@ placeholder, be what `make install-man` copies, and render
# without warnings. The harness exports MSCNN_BUILDDIR, MSCNN_SYSCONFDIR
# and MSCNN_MAKE (see AM_TESTS_ENVIRONMENT in Makefile.am).
. "${MSCNN_SRCDIR:-.}/tests/lib.sh"
: "${MSCNN_BUILDDIR:?run through make check}"
: "${MSCNN_SYSCONFDIR:?run through make check}"
page="$MSCNN_BUILDDIR/man/mscnn.1"

version=$("$MSCNN_BIN" --version | sed -n '1s/^mscnn \([^ ]*\).*/\1/p')
expect "mscnn --version gives a version" [ -n "$version" ]
expect "the man page is built: $page" [ -s "$page" ]

check_page() { # FILE WHAT
    expect "$2 has no @WORD@ placeholder: $(grep -n '@[A-Za-z_]*@' "$1" | head -n 3)" \
        sh -c '! grep -q "@[A-Za-z_]*@" "$1"' sh "$1"
    expect "$2 names version $version in its title line" \
        grep -q "^\.TH MSCNN 1 .*\"mscnn $version\"" "$1"
    expect "$2 names the sysconfdir $MSCNN_SYSCONFDIR (break points \\: aside)" \
        sh -c 'sed "s/\\\\://g" "$1" | grep -qF -- "$2/mscnn/mscnn.ini"' sh "$1" "$MSCNN_SYSCONFDIR"
}
check_page "$page" "man/mscnn.1"

# What install copies: `make install-man` alone (the page only, cheap) into
# a DESTDIR, the environment's make flags dropped so that it runs on its
# own rather than inside the test harness's make.
inst="$T/inst"
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MSCNN_MAKE:-make}" -s -C "$MSCNN_BUILDDIR" \
        install-man DESTDIR="$inst" >"$T/inst.log" 2>&1; then
    ok
    installed=$(find "$inst" -name mscnn.1 -type f | head -n 1)
    expect "install-man installs man1/mscnn.1: $(find "$inst" -type f)" [ -n "$installed" ]
    [ -n "$installed" ] && check_page "$installed" "the installed page"
else
    fail "make install-man DESTDIR=$inst: $(tail -n 5 "$T/inst.log")"
fi

# Rendering: man's own warnings, or groff's, when either is installed.
if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man --warnings -E UTF-8 -l "$page" >/dev/null 2>"$T/warn"
    expect "man renders the page (rc $?)" [ $? -eq 0 ]
    expect "man renders it without warnings: $(head -n 5 "$T/warn")" [ ! -s "$T/warn" ]
elif command -v groff >/dev/null 2>&1; then
    groff -man -ww -z "$page" 2>"$T/warn"
    expect "groff renders it without warnings: $(head -n 5 "$T/warn")" [ ! -s "$T/warn" ]
else
    echo "note: neither man nor groff found; rendering not checked"
fi
done_tests
