/* util.c -- strict number parsing/formatting, time, hashing. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int string2ll(const char *s, size_t len, long long *out) {
    const char *p = s;
    size_t plen = 0;
    int negative = 0;
    unsigned long long v;

    if (len == 0 || len > 20) return 0;
    if (len == 1 && p[0] == '0') {
        *out = 0;
        return 1;
    }
    if (p[0] == '-') {
        negative = 1;
        p++;
        plen++;
        if (plen == len) return 0;
    }
    if (p[0] >= '1' && p[0] <= '9') {
        v = (unsigned long long)(p[0] - '0');
        p++;
        plen++;
    } else {
        return 0;
    }
    while (plen < len && p[0] >= '0' && p[0] <= '9') {
        if (v > ULLONG_MAX / 10) return 0;
        v *= 10;
        if (v > ULLONG_MAX - (unsigned long long)(p[0] - '0')) return 0;
        v += (unsigned long long)(p[0] - '0');
        p++;
        plen++;
    }
    if (plen < len) return 0;
    if (negative) {
        if (v > (unsigned long long)(-(LLONG_MIN + 1)) + 1) return 0;
        *out = (long long)(0ULL - v);
    } else {
        if (v > LLONG_MAX) return 0;
        *out = (long long)v;
    }
    return 1;
}

int string2l(const char *s, size_t len, long *out) {
    long long ll;
    if (!string2ll(s, len, &ll) || ll < LONG_MIN || ll > LONG_MAX) return 0;
    *out = (long)ll;
    return 1;
}

int ll2string(char *buf, size_t size, long long v) {
    int n = snprintf(buf, size, "%lld", v);
    return n < 0 ? 0 : n;
}

int string2ld(const char *s, size_t len, long double *out) {
    char buf[5 * 1024];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    /* strtold accepts leading spaces; Redis does not. */
    if (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\n' || buf[0] == '\r' ||
        buf[0] == '\v' || buf[0] == '\f')
        return 0;
    errno = 0;
    v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

int ld2string(char *buf, size_t size, long double v) {
    int n;
    if (isinf(v)) {
        n = snprintf(buf, size, v > 0 ? "inf" : "-inf");
        return n;
    }
    n = snprintf(buf, size, "%.17Lf", v);
    if (n < 0 || (size_t)n >= size) return 0;
    /* Trim trailing zeros and a dangling point, as Redis's ld2string. */
    if (strchr(buf, '.')) {
        char *p = buf + n - 1;
        while (*p == '0') { p--; n--; }
        if (*p == '.') n--;
        buf[n] = '\0';
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        buf[1] = '\0';
        n = 1;
    }
    return n;
}

int64_t ustime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mstime(void) {
    return ustime() / 1000;
}

int64_t monotonic_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The hash: a 64-bit multiply-fold mix (in the family of wyhash) over
 * 8-byte words. Seeded per process so keys can't be chosen to collide. */
static uint64_t hash_secret = 0x9e3779b97f4a7c15ULL;

void hash_seed(uint64_t seed) {
    hash_secret = seed | 1;
}

static inline uint64_t mix(uint64_t a, uint64_t b) {
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t read64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t read_tail(const unsigned char *p, size_t n) {
    uint64_t v = 0;
    memcpy(&v, p, n); /* n < 8; little-endian order is irrelevant to quality */
    return v;
}

uint64_t hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = hash_secret ^ mix(len ^ 0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL);
    size_t i = len;

    while (i >= 16) {
        h = mix(read64(p) ^ 0xa0761d6478bd642fULL, read64(p + 8) ^ h);
        p += 16;
        i -= 16;
    }
    if (i >= 8) {
        h = mix(read64(p) ^ 0x8ebc6af09c88c6e3ULL, h ^ 0x589965cc75374cc3ULL);
        p += 8;
        i -= 8;
    }
    h = mix(read_tail(p, i) ^ 0x1d8e4e27c47d124fULL, h ^ len);
    return mix(h, 0xe7037ed1a0b428dbULL ^ hash_secret);
}

void bytes_to_human(char *buf, size_t size, unsigned long long n) {
    double d = (double)n;
    if (n < 1024) snprintf(buf, size, "%lluB", n);
    else if (n < 1024ULL * 1024) snprintf(buf, size, "%.2fK", d / 1024);
    else if (n < 1024ULL * 1024 * 1024) snprintf(buf, size, "%.2fM", d / (1024 * 1024));
    else if (n < 1024ULL * 1024 * 1024 * 1024) snprintf(buf, size, "%.2fG", d / (1024.0 * 1024 * 1024));
    else snprintf(buf, size, "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
}

void random_hex(char *buf, size_t n) {
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[64];
    size_t done = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    while (done < n) {
        size_t want = (n - done + 1) / 2;
        if (want > sizeof(rnd)) want = sizeof(rnd);
        if (fd < 0 || read(fd, rnd, want) != (ssize_t)want) {
            for (size_t i = 0; i < want; i++) rnd[i] = (unsigned char)(random() & 0xff);
        }
        for (size_t i = 0; i < want && done < n; i++) {
            buf[done++] = hex[rnd[i] >> 4];
            if (done < n) buf[done++] = hex[rnd[i] & 15];
        }
    }
    if (fd >= 0) close(fd);
}
