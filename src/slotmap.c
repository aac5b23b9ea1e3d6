/* slotmap.c -- key -> slot (Redis Cluster's CRC16 and hash tags) and
 * slot -> owner (rendezvous hashing of blocks of slots over the alive
 * members). Pure.
 *
 * Every node must compute the same map from the same member set, so the
 * hashes here are fixed functions of the bytes (no per-process seed, no
 * dependence on the host's byte order): changing them changes where every
 * key lives, and nodes running different versions would disagree. The
 * golden values in test_slotmap.c pin them down. */
#include <stdlib.h>
#include <string.h>

#include "slotmap.h"

_Static_assert(SLOTMAP_BLOCK_SLOTS > 0 && (SLOTMAP_BLOCK_SLOTS & (SLOTMAP_BLOCK_SLOTS - 1)) == 0 &&
                   SLOTMAP_BLOCK_SLOTS <= CLUSTER_SLOTS,
               "SLOTMAP_BLOCK_SLOTS must be a power of two dividing CLUSTER_SLOTS");

/* ---- CRC16 ---- */

/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, not
 * reflected, no final xor -- Redis's crc16.c. crc16("123456789") = 0x31c3. */
static const uint16_t crc16tab[256] = {
    0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50a5, 0x60c6, 0x70e7,
    0x8108, 0x9129, 0xa14a, 0xb16b, 0xc18c, 0xd1ad, 0xe1ce, 0xf1ef,
    0x1231, 0x0210, 0x3273, 0x2252, 0x52b5, 0x4294, 0x72f7, 0x62d6,
    0x9339, 0x8318, 0xb37b, 0xa35a, 0xd3bd, 0xc39c, 0xf3ff, 0xe3de,
    0x2462, 0x3443, 0x0420, 0x1401, 0x64e6, 0x74c7, 0x44a4, 0x5485,
    0xa56a, 0xb54b, 0x8528, 0x9509, 0xe5ee, 0xf5cf, 0xc5ac, 0xd58d,
    0x3653, 0x2672, 0x1611, 0x0630, 0x76d7, 0x66f6, 0x5695, 0x46b4,
    0xb75b, 0xa77a, 0x9719, 0x8738, 0xf7df, 0xe7fe, 0xd79d, 0xc7bc,
    0x48c4, 0x58e5, 0x6886, 0x78a7, 0x0840, 0x1861, 0x2802, 0x3823,
    0xc9cc, 0xd9ed, 0xe98e, 0xf9af, 0x8948, 0x9969, 0xa90a, 0xb92b,
    0x5af5, 0x4ad4, 0x7ab7, 0x6a96, 0x1a71, 0x0a50, 0x3a33, 0x2a12,
    0xdbfd, 0xcbdc, 0xfbbf, 0xeb9e, 0x9b79, 0x8b58, 0xbb3b, 0xab1a,
    0x6ca6, 0x7c87, 0x4ce4, 0x5cc5, 0x2c22, 0x3c03, 0x0c60, 0x1c41,
    0xedae, 0xfd8f, 0xcdec, 0xddcd, 0xad2a, 0xbd0b, 0x8d68, 0x9d49,
    0x7e97, 0x6eb6, 0x5ed5, 0x4ef4, 0x3e13, 0x2e32, 0x1e51, 0x0e70,
    0xff9f, 0xefbe, 0xdfdd, 0xcffc, 0xbf1b, 0xaf3a, 0x9f59, 0x8f78,
    0x9188, 0x81a9, 0xb1ca, 0xa1eb, 0xd10c, 0xc12d, 0xf14e, 0xe16f,
    0x1080, 0x00a1, 0x30c2, 0x20e3, 0x5004, 0x4025, 0x7046, 0x6067,
    0x83b9, 0x9398, 0xa3fb, 0xb3da, 0xc33d, 0xd31c, 0xe37f, 0xf35e,
    0x02b1, 0x1290, 0x22f3, 0x32d2, 0x4235, 0x5214, 0x6277, 0x7256,
    0xb5ea, 0xa5cb, 0x95a8, 0x8589, 0xf56e, 0xe54f, 0xd52c, 0xc50d,
    0x34e2, 0x24c3, 0x14a0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
    0xa7db, 0xb7fa, 0x8799, 0x97b8, 0xe75f, 0xf77e, 0xc71d, 0xd73c,
    0x26d3, 0x36f2, 0x0691, 0x16b0, 0x6657, 0x7676, 0x4615, 0x5634,
    0xd94c, 0xc96d, 0xf90e, 0xe92f, 0x99c8, 0x89e9, 0xb98a, 0xa9ab,
    0x5844, 0x4865, 0x7806, 0x6827, 0x18c0, 0x08e1, 0x3882, 0x28a3,
    0xcb7d, 0xdb5c, 0xeb3f, 0xfb1e, 0x8bf9, 0x9bd8, 0xabbb, 0xbb9a,
    0x4a75, 0x5a54, 0x6a37, 0x7a16, 0x0af1, 0x1ad0, 0x2ab3, 0x3a92,
    0xfd2e, 0xed0f, 0xdd6c, 0xcd4d, 0xbdaa, 0xad8b, 0x9de8, 0x8dc9,
    0x7c26, 0x6c07, 0x5c64, 0x4c45, 0x3ca2, 0x2c83, 0x1ce0, 0x0cc1,
    0xef1f, 0xff3e, 0xcf5d, 0xdf7c, 0xaf9b, 0xbfba, 0x8fd9, 0x9ff8,
    0x6e17, 0x7e36, 0x4e55, 0x5e74, 0x2e93, 0x3eb2, 0x0ed1, 0x1ef0,
};

uint16_t crc16(const char *buf, size_t len) {
    const unsigned char *p = (const unsigned char *)buf;
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc16tab[((crc >> 8) ^ p[i]) & 0xff]);
    return crc;
}

/* Redis's keyHashSlot: if the key has a '{' followed later by a '}' with
 * at least one byte between them, only the bytes between the first '{'
 * and the first '}' after it are hashed. "{}" or "{}x" hash whole. */
unsigned key_hash_slot(const char *key, size_t len) {
    const char *open = len ? memchr(key, '{', len) : NULL;
    if (open) {
        size_t s = (size_t)(open - key);
        const char *close = memchr(open + 1, '}', len - s - 1);
        if (close && close != open + 1)
            return crc16(open + 1, (size_t)(close - open - 1)) & (CLUSTER_SLOTS - 1);
    }
    return crc16(key, len) & (CLUSTER_SLOTS - 1);
}

/* ---- fixed 64-bit hashing ---- */

#define GOLDEN 0x9e3779b97f4a7c15ULL

/* The splitmix64 finalizer (Stafford's mix 13): a bijection with full
 * avalanche. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A member id's hash: 8-byte little-endian words (the last one
 * zero-padded) chained through mix64, then the length. */
static uint64_t id_hash(const char *id, size_t len) {
    const unsigned char *p = (const unsigned char *)id;
    uint64_t h = 0x243f6a8885a308d3ULL;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = 0;
        for (size_t j = 0; j < 8 && i + j < len; j++) w |= (uint64_t)p[i + j] << (8 * j);
        h = mix64(h ^ w) + GOLDEN;
    }
    return mix64(h ^ (uint64_t)len);
}

/* The per-block half of a weight. */
static inline uint64_t block_hash(unsigned block) {
    return mix64((uint64_t)block * GOLDEN + 0x13198a2e03707344ULL);
}

/* ---- the map ----
 *
 * Why blocks of 4 slots. Each block goes to a member independently, so a
 * member's share is binomial over the blocks (relative spread
 * sqrt((N-1)/blocks)), while the number of ranges in CLUSTER SLOTS is
 * about blocks * (1 - 1/N). Measured over 1000 random member sets per N
 * (40-hex ids): mean CLUSTER SLOTS ranges, and the mean largest and
 * smallest member share relative to the fair 16384/N:
 *
 *   slots/block   N=3 ranges  N=10 ranges  N=5 max/min   N=10 max/min
 *   1 (per slot)     10923       14743     1.020/0.980   1.038/0.962
 *   4 (chosen)        2731        3686     1.042/0.959   1.077/0.925
 *   8                 1366        1843     1.059/0.942   1.110/0.893
 *   16                 683         921     1.082/0.919   1.153/0.850
 *
 * 8 or 16 slots per block overshoot +-10% at 10 members (95th percentile
 * 1.18 and 1.24), 4 stays inside it on average (95th percentile 1.12).
 * A join moves 1/(N+1) of the slots and a leave 1/N at every block size,
 * all to the joiner or from the leaver. */

static int cmp_id(const void *a, const void *b) {
    return strcmp((const char *)a, (const char *)b);
}

struct slotmap *slotmap_build(const char *const *ids, size_t n) {
    if (n == 0 || n > UINT16_MAX + (size_t)1) return NULL;
    struct slotmap *m = malloc(sizeof(*m) + n * sizeof(*m->ids));
    uint64_t *h = malloc(n * sizeof(*h));
    if (!m || !h) {
        free(m);
        free(h);
        return NULL;
    }
    m->ids = (char (*)[41])(m + 1);

    /* The ids, sorted and without duplicates (an id longer than 40
     * characters is cut to 40). */
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(ids[i], 40);
        memcpy(m->ids[i], ids[i], len);
        m->ids[i][len] = '\0';
    }
    qsort(m->ids, n, sizeof(*m->ids), cmp_id);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(m->ids[k - 1], m->ids[i]) != 0) {
            if (k != i) memcpy(m->ids[k], m->ids[i], sizeof(*m->ids));
            k++;
        }
    m->nnodes = n = k;

    /* The version: a chained hash of the block size, the sorted ids and
     * their count (nodes built with another block size compute other maps,
     * so they must not show the same version). */
    uint64_t v = mix64(0x452821e638d01377ULL ^ SLOTMAP_BLOCK_SLOTS);
    for (size_t i = 0; i < n; i++) {
        h[i] = id_hash(m->ids[i], strlen(m->ids[i]));
        v = mix64(v ^ h[i]) + GOLDEN;
    }
    v = mix64(v ^ (uint64_t)n);
    m->version = v ? v : 1;

    /* Rendezvous: each block goes to the id with the highest weight
     * mix64(id_hash ^ block_hash); a tie (2^-64) goes to the smaller id.
     * Every slot of the block gets its owner. */
    for (unsigned b = 0; b < SLOTMAP_BLOCKS; b++) {
        uint64_t bh = block_hash(b), best = mix64(h[0] ^ bh);
        size_t owner = 0;
        for (size_t i = 1; i < n; i++) {
            uint64_t w = mix64(h[i] ^ bh);
            if (w > best) {
                best = w;
                owner = i;
            }
        }
        for (unsigned s = b * SLOTMAP_BLOCK_SLOTS; s < (b + 1) * SLOTMAP_BLOCK_SLOTS; s++)
            m->owner[s] = (uint16_t)owner;
    }
    free(h);
    return m;
}

void slotmap_free(struct slotmap *m) {
    free(m);
}
