/* glob.c -- glob-style pattern matching, a faithful port of Redis's
 * stringmatchlen() (util.c), including its handling of malformed patterns
 * (an unterminated [ set runs to the end of the pattern, a trailing \
 * matches itself) and its guards against exponential backtracking. */
#include "glob.h"

#define GLOB_MAX_NESTING 1000

/* Case folding is ASCII only, as tolower() in the C locale Redis runs in.
 * Characters are plain (signed) chars, as in Redis: it matters for ranges
 * with bytes >= 0x80. */
static int fold(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int same_char(char a, char b, int nocase) {
    return nocase ? fold(a) == fold(b) : a == b;
}

/* Matches string[0] against the set after '['; *pp / *plenp point just
 * past the '[' on entry and at the closing ']' (or the last pattern byte
 * of an unterminated set) on return. */
static int match_set(const char **pp, size_t *plenp, char c, int nocase) {
    const char *p = *pp;
    size_t plen = *plenp;
    int negate = plen > 0 && p[0] == '^';
    int match = 0;

    if (negate) {
        p++;
        plen--;
    }
    for (;;) {
        if (plen >= 2 && p[0] == '\\') {
            p++;
            plen--;
            if (p[0] == c) match = 1;
        } else if (plen == 0) {
            /* Unterminated set: step back onto its last byte. */
            p--;
            plen++;
            break;
        } else if (p[0] == ']') {
            break;
        } else if (plen >= 3 && p[1] == '-') {
            int start = (signed char)p[0], end = (signed char)p[2];
            int ch = (signed char)c;
            if (start > end) {
                int t = start;
                start = end;
                end = t;
            }
            if (nocase) {
                start = fold(start);
                end = fold(end);
                ch = fold(ch);
            }
            p += 2;
            plen -= 2;
            if (ch >= start && ch <= end) match = 1;
        } else if (same_char(p[0], c, nocase)) {
            match = 1;
        }
        p++;
        plen--;
    }
    *pp = p;
    *plenp = plen;
    return negate ? !match : match;
}

/* *skip_longer is set once a '*' failed to match the rest of the pattern
 * anywhere in the rest of the string: no earlier '*' can do better. */
static int match_impl(const char *p, size_t plen, const char *s, size_t slen,
                      int nocase, int *skip_longer, int nesting) {
    if (nesting > GLOB_MAX_NESTING) return 0;

    while (plen && slen) {
        switch (p[0]) {
        case '*':
            while (plen > 1 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1) return 1;
            while (slen) {
                if (match_impl(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1))
                    return 1;
                if (*skip_longer) return 0;
                s++;
                slen--;
            }
            *skip_longer = 1;
            return 0;
        case '?':
            s++;
            slen--;
            break;
        case '[':
            p++;
            plen--;
            if (!match_set(&p, &plen, s[0], nocase)) return 0;
            s++;
            slen--;
            break;
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (!same_char(p[0], s[0], nocase)) return 0;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen && p[0] == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

int glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase) {
    int skip_longer = 0;
    return match_impl(pattern, plen, s, slen, nocase, &skip_longer, 0);
}
