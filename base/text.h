/* Small text helpers every layer may need: bounded copies that stay valid
 * UTF-8 (the audit trail refuses anything else), and the one sanitiser for
 * text shown on a terminal: the console (tui/draw.c) and every line the
 * commands print (cli/out.c) go through wb_text_next. */
#ifndef WAYBILL_BASE_TEXT_H
#define WAYBILL_BASE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cuts a multi-byte character that a bounded copy split at the end of s, so
 * the text stays UTF-8. Returns s. */
char *wb_utf8_trim(char *s);

/* What a terminal is shown in place of a character it must not receive. */
#define WB_TEXT_REPLACEMENT '?'

/* True for a code point a terminal acts on or that reorders the text around
 * it, which text from a source or the cache must never reach a terminal as:
 * C0 controls (ESC, BEL, CR, BS, TAB, LF ...), DEL, C1 controls
 * (U+0080-U+009F), and the bidirectional marks, embeddings, overrides and
 * isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069). */
bool wb_text_unsafe(uint32_t cp);

/* Decodes one UTF-8 character at s (len >= 1 bytes) strictly (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) into *cp. Returns its
 * length, 0 when the bytes at s are not one. */
size_t wb_utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Reads the character at s (len >= 1 bytes): sets *cp to its code point, or
 * to WB_TEXT_REPLACEMENT when it is unsafe (above) or the bytes are not
 * UTF-8 (a stray continuation byte such as a raw 0x80-0x9F, an overlong
 * form, a surrogate, a cut sequence: one byte is consumed and replaced).
 * Returns the bytes consumed (1 to 4). */
size_t wb_text_next(const char *s, size_t len, uint32_t *cp);

/* Terminal cells a character wb_text_next returned takes: wcwidth() in the
 * current locale, 0 for a combining mark, 1 when the locale cannot say. */
int wb_text_cells(uint32_t cp);

/* Copies in into out (size >= 1 bytes, always NUL-terminated) with every
 * character wb_text_next replaces as WB_TEXT_REPLACEMENT, in at most
 * max_cells terminal cells (max_cells < 0: no limit) and size - 1 bytes.
 * A cut never splits a character; when text is cut and ellipsis is given,
 * ellipsis ends the copy inside the same limits. Returns the cells written;
 * *cut (when given) says whether text was left out. */
int wb_text_safe(char *out, size_t size, const char *in, int max_cells, const char *ellipsis,
                 bool *cut);

/* JSON text as jansson writes it (valid UTF-8) with DEL, the C1 controls and
 * the bidirectional controls of wb_text_unsafe written as \uXXXX escapes;
 * jansson already escapes C0 controls, and outside strings JSON is ASCII, so
 * the result is the same JSON value. Invalid UTF-8 becomes
 * WB_TEXT_REPLACEMENT. Newly allocated; NULL when out of memory. */
char *wb_json_escape_unsafe(const char *json);

#endif
