/* The audit chain's key as the cache holds it (given by whoever opened the
 * cache with settings; the cache never reads a key file), its MAC for other
 * records of the trail (anchors), and the head and row look-ups an anchor
 * needs. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "audit_internal.h"

#define HASH_HEX AUDIT_HASH_HEX

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * n] = '\0';
}

static int mac(const unsigned char *key, size_t key_len, const void *data, size_t len,
               unsigned char md[EVP_MAX_MD_SIZE])
{
	static const unsigned char empty[1];
	unsigned int md_len = 0;
	if (!HMAC(EVP_sha256(), key, (int)key_len, len ? data : empty, len, md, &md_len) ||
	    md_len * 2 != HASH_HEX)
		return -1;
	return 0;
}

int cache_audit_key(struct cache *c, const unsigned char *key, size_t len, struct wb_err *err)
{
	explicit_bzero(c->audit_key, sizeof(c->audit_key));
	c->audit_key_len = 0;
	c->audit_key_id[0] = '\0';
	if (!key)
		return 0;
	if (len < 16 || len > sizeof(c->audit_key))
		return wb_fail(err, WB_EINVALID, "audit key: %zu bytes; expected 16 to %zu", len,
		               sizeof(c->audit_key));
	/* The id names the key on every keyed row: a MAC of a fixed text, so it
	 * tells keys apart without revealing anything of the key. */
	static const char label[] = "waybill audit key id";
	unsigned char md[EVP_MAX_MD_SIZE];
	if (mac(key, len, label, sizeof(label) - 1, md) != 0)
		return wb_fail(err, WB_EIO, "audit key: HMAC-SHA-256 failed in libcrypto");
	to_hex(md, AUDIT_KEY_ID_LEN / 2, c->audit_key_id);
	memcpy(c->audit_key, key, len);
	c->audit_key_len = len;
	return 0;
}

const char *cache_audit_key_id(const struct cache *c)
{
	return c->audit_key_id;
}

int cache_audit_mac(const struct cache *c, const void *data, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	if (!c->audit_key_len || mac(c->audit_key, c->audit_key_len, data, len, md) != 0)
		return -1;
	to_hex(md, HASH_HEX / 2, hex);
	return 0;
}

/* Copies a text column into out (n + 1 bytes) when it is n hex digits, else "". */
static void hex_col(sqlite3_stmt *st, int col, size_t n, char *out)
{
	const char *v = (const char *)sqlite3_column_text(st, col);
	out[0] = '\0';
	if (audit_is_hex(v, (size_t)sqlite3_column_bytes(st, col), n))
		memcpy(out, v, n + 1);
}

int audit_head(struct cache *c, struct audit_head *h, struct wb_err *err)
{
	memset(h, 0, sizeof(*h));
	sqlite3_stmt *st =
	        cache_stmt(c, ST_AUDIT_HEAD,
	                   "SELECT (SELECT count(*) FROM audit), (SELECT max(seq) FROM audit),"
	                   " (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1),"
	                   " (SELECT key_id FROM audit ORDER BY seq DESC LIMIT 1),"
	                   " (SELECT id FROM audit_chain LIMIT 1)",
	                   err);
	if (!st)
		return err ? err->code : WB_EIO;
	int s = sqlite3_step(st), rc = 0;
	if (s == SQLITE_ROW) {
		h->rows = sqlite3_column_int64(st, 0);
		h->seq = sqlite3_column_int64(st, 1);
		/* A malformed value is kept out (""): an anchor of it would match nothing. */
		hex_col(st, 2, HASH_HEX, h->hash);
		hex_col(st, 3, AUDIT_KEY_ID_LEN, h->key_id);
		hex_col(st, 4, 32, h->chain);
	} else if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "reading the audit trail");
	}
	sqlite3_reset(st);
	return rc;
}

int audit_hash_at(struct cache *c, int64_t seq, char hash[65], int *found, struct wb_err *err)
{
	*found = 0;
	hash[0] = '\0';
	sqlite3_stmt *st = cache_stmt(c, ST_AUDIT_AT, "SELECT hash FROM audit WHERE seq=?", err);
	if (!st)
		return err ? err->code : WB_EIO;
	sqlite3_bind_int64(st, 1, seq);
	int s = sqlite3_step(st), rc = 0;
	if (s == SQLITE_ROW) {
		*found = 1;
		const char *v = (const char *)sqlite3_column_text(st, 0);
		snprintf(hash, 65, "%s", v ? v : "");
	} else if (s != SQLITE_DONE) {
		rc = cache_fail(c, s, err, "reading the audit trail");
	}
	sqlite3_reset(st);
	return rc;
}
