/* util.h -- small pure helpers: strict number parsing and formatting as
 * Redis does it, time, and the keyspace hash function. */
#ifndef SHOAL_UTIL_H
#define SHOAL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Redis's string2ll: decimal, optional '-', no spaces, no leading zeros,
 * no '+', must fit in long long. Returns 1 on success. */
int string2ll(const char *s, size_t len, long long *out);
int string2l(const char *s, size_t len, long *out);
/* Writes v in decimal, returns the length (buf needs 21 bytes). */
int ll2string(char *buf, size_t size, long long v);
/* A long double as INCRBYFLOAT parses it: strtold, no spaces, not NaN. */
int string2ld(const char *s, size_t len, long double *out);
/* A long double as Redis formats INCRBYFLOAT results ("%.17Lf", trailing
 * zeros and point trimmed). Returns length; buf needs 5*1024 bytes. */
int ld2string(char *buf, size_t size, long double v);

int64_t mstime(void);
int64_t ustime(void);
/* Monotonic microseconds, for measuring durations. */
int64_t monotonic_us(void);

/* 64-bit keyed hash of a byte string (seeded at start-up). */
uint64_t hash_bytes(const void *p, size_t len);
void hash_seed(uint64_t seed);

/* Memory sizes as "1.50M" the way INFO's *_human fields show them. */
void bytes_to_human(char *buf, size_t size, unsigned long long n);

/* Fills buf with n random hex characters (no terminator). */
void random_hex(char *buf, size_t n);

#endif
