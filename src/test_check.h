/* test_check.h -- what every C unit program (test_*.c) shares: CHECK()
 * counts a passed check or prints where and why one failed; test_report()
 * prints the closing "N passed, N failed" line the suite reads and gives
 * the exit status. Safe to use from several threads. */
#ifndef SHOAL_TEST_CHECK_H
#define SHOAL_TEST_CHECK_H

#include <pthread.h>
#include <stdio.h>

static int test_passed, test_failed;
static pthread_mutex_t test_lock = PTHREAD_MUTEX_INITIALIZER;

/* cond is evaluated before the lock is taken: it may take locks itself */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        int ok_ = (cond);                                                  \
        pthread_mutex_lock(&test_lock);                                    \
        if (ok_) {                                                         \
            test_passed++;                                                 \
        } else {                                                           \
            test_failed++;                                                 \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
        pthread_mutex_unlock(&test_lock);                                  \
    } while (0)

static inline int test_report(void) {
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

#endif
