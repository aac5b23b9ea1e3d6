/* lazyfree.c -- the background freeing thread, see lazyfree.h. A plain
 * job queue under a mutex and condition variable: jobs are rare (one per
 * FLUSH ASYNC), their work is long. */
#include "lazyfree.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "memory.h"

struct job {
    struct job *next;
    void (*fn)(void *);
    void *arg;
};

static pthread_t thread;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static int stopping;
static atomic_ulong pending;

static void *lazyfree_main(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "shoal-lazyfree");
    memory_thread_init();   /* frees here must count in used_memory */
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!head && !stopping) pthread_cond_wait(&wake, &lock);
        if (!head) break;
        struct job *j = head;
        head = j->next;
        if (!head) tail = NULL;
        pthread_mutex_unlock(&lock);
        j->fn(j->arg);
        free(j);
        atomic_fetch_sub(&pending, 1);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int lazyfree_start(void) {
    return pthread_create(&thread, NULL, lazyfree_main, NULL) == 0 ? 0 : -1;
}

void lazyfree_submit(void (*free_fn)(void *), void *arg) {
    struct job *j = malloc(sizeof(*j));
    if (!j) {
        free_fn(arg); /* no memory for a job: free here */
        return;
    }
    j->fn = free_fn;
    j->arg = arg;
    j->next = NULL;
    atomic_fetch_add(&pending, 1);
    pthread_mutex_lock(&lock);
    if (tail) tail->next = j;
    else head = j;
    tail = j;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

unsigned long lazyfree_pending(void) {
    return atomic_load(&pending);
}

void lazyfree_stop(void) {
    pthread_mutex_lock(&lock);
    stopping = 1;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
}
