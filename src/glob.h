/* glob.h -- glob-style pattern matching with Redis's stringmatchlen
 * semantics, for KEYS, SCAN MATCH, CONFIG GET and COMMAND LIST. */
#ifndef SHOAL_GLOB_H
#define SHOAL_GLOB_H

#include <stddef.h>

/* 1 if s[0..slen) matches pattern[0..plen), else 0. Supports * ? [abc]
 * [^abc] [a-z] and \ escapes; nocase folds ASCII case. Patterns nested
 * too deeply (more than 1000 '*' recursions) never match, as in Redis. */
int glob_match(const char *pattern, size_t plen, const char *s, size_t slen, int nocase);

#endif
