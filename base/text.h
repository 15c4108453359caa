/* Small text helpers every layer may need: bounded copies that stay valid
 * UTF-8 (the audit trail refuses anything else). */
#ifndef WAYBILL_BASE_TEXT_H
#define WAYBILL_BASE_TEXT_H

/* Cuts a multi-byte character that a bounded copy split at the end of s, so
 * the text stays UTF-8. Returns s. */
char *wb_utf8_trim(char *s);

#endif
