/* test_slotmap.c -- unit tests of slotmap.c: CRC16 and key slots as Redis
 * Cluster computes them (values taken from redis-server 7.0.15's CLUSTER
 * KEYSLOT), and the block rendezvous slot map: deterministic, owners
 * constant within a block, few CLUSTER SLOTS ranges, balanced, minimal
 * movement on join and leave, and pinned by golden values (every node must
 * compute the same map, across versions too). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slotmap.h"

#include "test_check.h"

/* CLUSTER KEYSLOT of redis-server 7.0.15 for these keys. */
static const struct {
    const char *key;
    size_t len;
    unsigned slot;
} keyslots[] = {
    {"", 0, 0},
    {"a", 1, 15495},
    {"foo", 3, 12182},
    {"bar", 3, 5061},
    {"123456789", 9, 12739},
    {"{user1000}.following", 20, 3443},
    {"{user1000}.followers", 20, 3443},
    {"user1000", 8, 3443},
    {"{}", 2, 15257},
    {"{}x", 3, 10595},
    {"x{}", 3, 2608},
    {"{{a}}", 5, 10276},
    {"{a", 2, 10276},
    {"a{b", 3, 13340},
    {"a}b{", 4, 6027},
    {"}{", 2, 12793},
    {"{}{a}", 5, 13650},
    {"foo{}{bar}", 10, 8363},
    {"foo{{bar}}zap", 13, 4015},
    {"foo{bar}{zap}", 13, 5061},
    {"{bar", 4, 4015},
    {"bar}", 4, 6624},
    {"a{b}c", 5, 3300},
    {"{b}", 3, 3300},
    {"b", 1, 3300},
    {"{", 1, 4092},
    {"}", 1, 12090},
    {"{{}}", 4, 4092},
    {"{ }", 3, 9314},
    {"key:1", 5, 6657},
    {"key:2", 5, 10850},
    {"key:100000", 10, 244},
    {"\000", 1, 0},
    {"\377\376\000\001", 4, 9169},
    {"{\000}x", 4, 0},
    {"hello world", 11, 15332},
    {"Hello World", 11, 6442},
    {"slot-test-0", 11, 5843},
    {"slot-test-1", 11, 1778},
    {"slot-test-2", 11, 13969},
    {"{abc}", 5, 7638},
    {"{abc}def", 8, 7638},
    {"{a}{b}", 6, 15495},
    {"CLUSTER", 7, 13983},
    {"cluster", 7, 14041},
};

/* ---- ids ---- */

static uint64_t rng_state;

static uint64_t rng(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* n random 40-hex ids from a fixed seed. */
static char (*make_ids(size_t n, uint64_t seed))[41] {
    char (*ids)[41] = malloc(n * sizeof(*ids));
    rng_state = seed;
    for (size_t i = 0; i < n; i++) {
        for (int j = 0; j < 40; j++) ids[i][j] = "0123456789abcdef"[rng() >> 60];
        ids[i][40] = '\0';
    }
    return ids;
}

static struct slotmap *build(char (*ids)[41], size_t n) {
    const char **p = malloc((n ? n : 1) * sizeof(*p));
    for (size_t i = 0; i < n; i++) p[i] = ids[i];
    struct slotmap *m = slotmap_build(p, n);
    free(p);
    return m;
}

static const char *owner_id(const struct slotmap *m, unsigned slot) {
    return m->ids[m->owner[slot]];
}

static int same_map(const struct slotmap *a, const struct slotmap *b) {
    if (a->version != b->version || a->nnodes != b->nnodes) return 0;
    for (unsigned s = 0; s < CLUSTER_SLOTS; s++)
        if (strcmp(owner_id(a, s), owner_id(b, s)) != 0) return 0;
    return 1;
}

/* CLUSTER SLOTS ranges: runs of consecutive slots with one owner. */
static size_t count_ranges(const struct slotmap *m) {
    size_t ranges = 1;
    for (unsigned s = 1; s < CLUSTER_SLOTS; s++) ranges += m->owner[s] != m->owner[s - 1];
    return ranges;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- tests ---- */

static void test_crc16(void) {
    CHECK(crc16("123456789", 9) == 0x31c3, "crc16(123456789) = %#x", crc16("123456789", 9));
    CHECK(crc16("", 0) == 0, "crc16 of nothing");
    CHECK(crc16("a", 1) == 0x7c87, "crc16(a) = %#x", crc16("a", 1));
    /* the bitwise definition, against the table */
    for (int n = 0; n < 200; n++) {
        char buf[64];
        size_t len = (size_t)(rng() % sizeof(buf));
        for (size_t i = 0; i < len; i++) buf[i] = (char)rng();
        uint16_t crc = 0;
        for (size_t i = 0; i < len; i++) {
            crc ^= (uint16_t)((unsigned char)buf[i] << 8);
            for (int b = 0; b < 8; b++)
                crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
        }
        if (crc16(buf, len) != crc) {
            CHECK(0, "crc16 table disagrees with the bitwise CRC (len %zu)", len);
            return;
        }
    }
    CHECK(1, "crc16 table agrees with the bitwise CRC");
}

static void test_keyslots(void) {
    for (size_t i = 0; i < sizeof(keyslots) / sizeof(keyslots[0]); i++) {
        unsigned got = key_hash_slot(keyslots[i].key, keyslots[i].len);
        CHECK(got == keyslots[i].slot, "key_hash_slot(\"%s\") = %u, Redis says %u",
              keyslots[i].key, got, keyslots[i].slot);
    }
    char buf[1000];
    memset(buf, 'a', 100);
    CHECK(key_hash_slot(buf, 100) == 5960, "100 a's");
    memset(buf, 'x', 1000);
    CHECK(key_hash_slot(buf, 1000) == 3195, "1000 x's");
    /* hash tags */
    CHECK(key_hash_slot("{user1000}.following", 20) == key_hash_slot("user1000", 8),
          "a tag hashes only its content");
    CHECK(key_hash_slot("{}", 2) == (crc16("{}", 2) & 16383u), "{} hashes the whole key");
    CHECK(key_hash_slot("{{a}}", 5) == key_hash_slot("{a", 2), "{{a}} hashes '{a'");
    CHECK(key_hash_slot("a{b", 3) == (crc16("a{b", 3) & 16383u), "an unclosed tag hashes whole");
    CHECK(key_hash_slot("foo{}{bar}", 10) == (crc16("foo{}{bar}", 10) & 16383u),
          "only the first '{' counts");
    /* a key that is one '{' at its very end: nothing after it to search */
    CHECK(key_hash_slot("ab{", 3) == (crc16("ab{", 3) & 16383u), "trailing '{'");
    unsigned max = 0;
    for (int i = 0; i < 10000; i++) {
        char k[32];
        int len = snprintf(k, sizeof(k), "key:%d", i);
        unsigned s = key_hash_slot(k, (size_t)len);
        if (s > max) max = s;
    }
    CHECK(max < CLUSTER_SLOTS, "slots are below 16384");
}

static void test_build_basics(void) {
    CHECK(slotmap_build(NULL, 0) == NULL, "no members, no map");
    const char *one[] = {"a"};
    struct slotmap *m = slotmap_build(one, 1);
    int all = m && m->nnodes == 1 && strcmp(m->ids[0], "a") == 0;
    for (unsigned s = 0; all && s < CLUSTER_SLOTS; s++) all = m->owner[s] == 0;
    CHECK(all, "one member owns every slot");
    CHECK(m && m->version != 0, "a version is never 0");
    slotmap_free(m);

    /* duplicates count once; ids longer than 40 characters are cut */
    const char *dup[] = {"b", "a", "b", "a"}, *two[] = {"a", "b"};
    struct slotmap *d = slotmap_build(dup, 4), *t = slotmap_build(two, 2);
    CHECK(d && t && d->nnodes == 2 && same_map(d, t), "duplicate ids count once");
    slotmap_free(d);
    slotmap_free(t);
    slotmap_free(NULL);
}

static void test_determinism(void) {
    size_t n = 37;
    char (*ids)[41] = make_ids(n, 42);
    struct slotmap *a = build(ids, n);
    /* the same ids in other orders */
    for (int round = 0; round < 5; round++) {
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(rng() % (i + 1));
            char tmp[41];
            memcpy(tmp, ids[i], 41);
            memcpy(ids[i], ids[j], 41);
            memcpy(ids[j], tmp, 41);
        }
        struct slotmap *b = build(ids, n);
        CHECK(same_map(a, b), "same ids in another order give the same map and version");
        slotmap_free(b);
    }
    int sorted = 1;
    for (size_t i = 1; i < a->nnodes; i++) sorted &= strcmp(a->ids[i - 1], a->ids[i]) < 0;
    CHECK(sorted, "ids are sorted");
    /* the version changes with the set */
    struct slotmap *fewer = build(ids, n - 1);
    CHECK(fewer->version != a->version, "removing a member changes the version");
    char saved = ids[0][39];
    ids[0][39] = saved == '0' ? '1' : '0';
    struct slotmap *other = build(ids, n);
    CHECK(other->version != a->version, "changing one id changes the version");
    ids[0][39] = saved;
    slotmap_free(fewer);
    slotmap_free(other);
    slotmap_free(a);
    free(ids);

    /* versions of many different sets are all different */
    enum { SETS = 2000 };
    uint64_t *v = malloc(SETS * sizeof(*v));
    char (*pool)[41] = make_ids(SETS + 3, 7);
    for (int i = 0; i < SETS; i++) {
        struct slotmap *m = build(pool + i, 3);
        v[i] = m->version;
        slotmap_free(m);
    }
    int distinct = 1;
    for (int i = 0; i < SETS && distinct; i++)
        for (int j = i + 1; j < SETS; j++)
            if (v[i] == v[j]) distinct = 0;
    CHECK(distinct, "2000 member sets have 2000 versions");
    free(v);
    free(pool);
}

/* Every map must be the same on every node and in every version of
 * shoal: these values pin the hash functions and the block size. */
static void test_golden(void) {
    const char *ids[] = {
        "0000000000000000000000000000000000000001",
        "e7d1c3a2b4f5968778695a4b3c2d1e0f12345678",
        "ffffffffffffffffffffffffffffffffffffffff",
    };
    CHECK(SLOTMAP_BLOCK_SLOTS == 4 && SLOTMAP_BLOCKS == 4096, "4096 blocks of 4 slots");
    struct slotmap *m = slotmap_build(ids, 3);
    uint64_t sum = 0;
    for (unsigned s = 0; s < CLUSTER_SLOTS; s++) sum = sum * 31 + m->owner[s];
    CHECK(m->version == 0x2aaa05c3add8273fULL, "golden version: %#llx",
          (unsigned long long)m->version);
    CHECK(sum == 0x923b15212f073280ULL, "golden owners: %#llx", (unsigned long long)sum);
    printf("golden: slot 0 -> %s, slot 16383 -> %s, %zu ranges\n", owner_id(m, 0),
           owner_id(m, 16383), count_ranges(m));
    CHECK(strcmp(owner_id(m, 0), "e7d1c3a2b4f5968778695a4b3c2d1e0f12345678") == 0,
          "golden owner of slot 0: %s", owner_id(m, 0));
    CHECK(strcmp(owner_id(m, 16383), "ffffffffffffffffffffffffffffffffffffffff") == 0,
          "golden owner of slot 16383: %s", owner_id(m, 16383));
    slotmap_free(m);
}

/* Ownership is per block: the owner changes only where a block starts,
 * so CLUSTER SLOTS has at most SLOTMAP_BLOCKS ranges, and about
 * 1 + (blocks - 1) * (1 - 1/N) of them (two neighbouring blocks have one
 * owner with probability 1/N, and these events are pairwise independent):
 * within 6 standard deviations of that, and for 3 members at most a
 * third of the ~10923 ranges per-slot ownership gave. */
static void test_blocks_and_ranges(void) {
    static const size_t sizes[] = {1, 2, 3, 5, 10, 50, 1000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        for (uint64_t seed = 1; seed <= 3; seed++) {
            char (*ids)[41] = make_ids(n, seed * 77 + n);
            struct slotmap *m = build(ids, n);
            size_t split = 0;
            for (unsigned s = 0; s < CLUSTER_SLOTS; s++)
                if (s % SLOTMAP_BLOCK_SLOTS && m->owner[s] != m->owner[s - 1]) split++;
            CHECK(split == 0, "N=%zu: %zu owner changes inside a block", n, split);
            size_t ranges = count_ranges(m);
            double q = 1.0 - 1.0 / (double)n, mean = 1 + (SLOTMAP_BLOCKS - 1) * q;
            double sd = sqrt((SLOTMAP_BLOCKS - 1) * q * (1 - q));
            CHECK(ranges <= SLOTMAP_BLOCKS && fabs(ranges - mean) <= 6 * sd + 1,
                  "N=%zu: %zu ranges, expected ~%.0f", n, ranges, mean);
            if (n == 3)
                CHECK(ranges <= CLUSTER_SLOTS * 2 / 3 / 3, "N=3: %zu ranges", ranges);
            if (seed == 1)
                printf("ranges N=%zu: %zu (~%.0f expected, %u blocks of %u slots)\n", n, ranges,
                       mean, SLOTMAP_BLOCKS, SLOTMAP_BLOCK_SLOTS);
            slotmap_free(m);
            free(ids);
        }
    }
}

/* Each member owns about 16384/N slots. Blocks go to members
 * independently, so a member's block count is binomial(blocks, 1/N):
 * every count within 6 standard deviations of the mean, and a
 * chi-square statistic over blocks within 6 of its own standard
 * deviations of N-1. The design bound: from 2 to 10 members, the largest
 * and the smallest share, averaged over 100 member sets, are within 10%
 * of the fair share, and no set is off by more than 25%. */
static void test_balance(void) {
    static const size_t sizes[] = {2, 3, 5, 10, 16, 50, 100, 300, 1000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        for (uint64_t seed = 1; seed <= 3; seed++) {
            char (*ids)[41] = make_ids(n, seed * 1000 + n);
            struct slotmap *m = build(ids, n);
            size_t *count = calloc(n, sizeof(*count));
            for (unsigned b = 0; b < SLOTMAP_BLOCKS; b++)
                count[m->owner[b * SLOTMAP_BLOCK_SLOTS]]++;
            double p = 1.0 / (double)n, mean = SLOTMAP_BLOCKS * p;
            double sd = sqrt(SLOTMAP_BLOCKS * p * (1 - p)), chi = 0;
            size_t lo = SLOTMAP_BLOCKS, hi = 0;
            for (size_t i = 0; i < n; i++) {
                chi += (count[i] - mean) * (count[i] - mean) / mean;
                if (count[i] < lo) lo = count[i];
                if (count[i] > hi) hi = count[i];
            }
            CHECK(fabs(lo - mean) <= 6 * sd + 1 && fabs(hi - mean) <= 6 * sd + 1,
                  "N=%zu: owned blocks %zu..%zu, mean %.1f, sd %.1f", n, lo, hi, mean, sd);
            double df = (double)n - 1;
            CHECK(chi <= df + 6 * sqrt(2 * df) + 1, "N=%zu: chi-square %.1f for %g degrees", n,
                  chi, df);
            if (seed == 1)
                printf("balance N=%zu: %zu..%zu slots per member (mean %.1f), chi2 %.1f/%g\n", n,
                       lo * SLOTMAP_BLOCK_SLOTS, hi * SLOTMAP_BLOCK_SLOTS,
                       mean * SLOTMAP_BLOCK_SLOTS, chi, df);
            free(count);
            slotmap_free(m);
            free(ids);
        }
    }

    for (size_t n = 2; n <= 10; n++) {
        enum { SETS = 100 };
        double sum_hi = 0, sum_lo = 0, worst_hi = 0, worst_lo = 2;
        size_t *count = malloc(n * sizeof(*count));
        for (int set = 0; set < SETS; set++) {
            char (*ids)[41] = make_ids(n, 31337 + (uint64_t)set * 101 + n);
            struct slotmap *m = build(ids, n);
            memset(count, 0, n * sizeof(*count));
            for (unsigned s = 0; s < CLUSTER_SLOTS; s++) count[m->owner[s]]++;
            size_t lo = CLUSTER_SLOTS, hi = 0;
            for (size_t i = 0; i < n; i++) {
                if (count[i] < lo) lo = count[i];
                if (count[i] > hi) hi = count[i];
            }
            double fair = (double)CLUSTER_SLOTS / (double)n;
            sum_hi += hi / fair;
            sum_lo += lo / fair;
            if (hi / fair > worst_hi) worst_hi = hi / fair;
            if (lo / fair < worst_lo) worst_lo = lo / fair;
            slotmap_free(m);
            free(ids);
        }
        free(count);
        double avg_hi = sum_hi / SETS, avg_lo = sum_lo / SETS;
        CHECK(avg_hi <= 1.10 && avg_lo >= 0.90,
              "N=%zu: largest/smallest share %.3f/%.3f of fair on average", n, avg_hi, avg_lo);
        CHECK(worst_hi <= 1.25 && worst_lo >= 0.75,
              "N=%zu: largest/smallest share %.3f/%.3f of fair in the worst of %d sets", n,
              worst_hi, worst_lo, SETS);
        printf("balance N=%zu over %d sets: max share %.3f (worst %.3f), min %.3f (worst %.3f)\n",
               n, SETS, avg_hi, worst_hi, avg_lo, worst_lo);
    }
}

/* Adding a member moves only the blocks it wins (~blocks/(N+1)), all to
 * it; removing one moves only the blocks it held. */
static void test_movement(void) {
    static const size_t sizes[] = {1, 2, 3, 4, 9, 10, 49, 100, 500};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        char (*ids)[41] = make_ids(n + 1, 99 + n);
        struct slotmap *before = build(ids, n), *after = build(ids, n + 1);
        size_t moved = 0, wrong = 0;
        for (unsigned s = 0; s < CLUSTER_SLOTS; s++) {
            if (strcmp(owner_id(before, s), owner_id(after, s)) == 0) continue;
            moved++;
            if (strcmp(owner_id(after, s), ids[n]) != 0) wrong++;
        }
        double p = 1.0 / (double)(n + 1), mean = SLOTMAP_BLOCKS * p;
        double sd = sqrt(SLOTMAP_BLOCKS * p * (1 - p));
        double blocks = (double)moved / SLOTMAP_BLOCK_SLOTS;
        CHECK(wrong == 0, "join to N=%zu: %zu slots moved to an old member", n, wrong);
        CHECK(moved % SLOTMAP_BLOCK_SLOTS == 0 && fabs(blocks - mean) <= 6 * sd + 1,
              "join to N=%zu: %zu slots moved, expected ~%.0f", n, moved,
              mean * SLOTMAP_BLOCK_SLOTS);
        printf("join to N=%zu: %zu slots moved, %.4f of them (1/(N+1) = %.4f)\n", n, moved,
               (double)moved / CLUSTER_SLOTS, p);

        /* remove member 0 of the n+1 */
        struct slotmap *removed = build(ids + 1, n);
        size_t held = 0, moved2 = 0, bad = 0;
        for (unsigned s = 0; s < CLUSTER_SLOTS; s++) {
            int was_its = strcmp(owner_id(after, s), ids[0]) == 0;
            held += was_its;
            if (strcmp(owner_id(after, s), owner_id(removed, s)) != 0) {
                moved2++;
                if (!was_its) bad++;
            }
        }
        CHECK(bad == 0 && moved2 == held,
              "leave from N=%zu: %zu slots moved, %zu were held by the leaver, %zu others", n + 1,
              moved2, held, bad);
        CHECK(fabs((double)moved2 / SLOTMAP_BLOCK_SLOTS - mean) <= 6 * sd + 1,
              "leave from N=%zu: %zu slots moved, expected ~%.0f", n + 1, moved2,
              mean * SLOTMAP_BLOCK_SLOTS);
        printf("leave from N=%zu: %zu slots moved, %.4f of them (1/N = %.4f)\n", n + 1, moved2,
               (double)moved2 / CLUSTER_SLOTS, p);
        slotmap_free(removed);
        slotmap_free(before);
        slotmap_free(after);
        free(ids);
    }
}

static void test_speed(void) {
    static const size_t sizes[] = {10, 100, 1000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        char (*ids)[41] = make_ids(n, 5);
        const char **p = malloc(n * sizeof(*p));
        for (size_t i = 0; i < n; i++) p[i] = ids[i];
        double best = 1e9;
        for (int r = 0; r < 3; r++) {
            double t0 = now_ms();
            struct slotmap *m = slotmap_build(p, n);
            double t = now_ms() - t0;
            if (t < best) best = t;
            slotmap_free(m);
        }
        printf("build N=%zu: %.2f ms\n", n, best);
        CHECK(best < 5000, "build N=%zu took %.0f ms", n, best);
        free(p);
        free(ids);
    }
}

int main(void) {
    rng_state = 1;
    test_crc16();
    test_keyslots();
    test_build_basics();
    test_determinism();
    test_golden();
    test_blocks_and_ranges();
    test_balance();
    test_movement();
    test_speed();
    return test_report();
}
