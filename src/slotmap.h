/* slotmap.h -- which node owns a key: slot = CRC16(key) mod 16384 with
 * Redis Cluster's hash tags ({...}), so key placement matches Redis
 * Cluster. Ownership is block-granular: the slots form SLOTMAP_BLOCKS
 * contiguous blocks of SLOTMAP_BLOCK_SLOTS, and the owner of a block (so
 * of each of its slots) is the alive member with the highest rendezvous
 * (highest-random-weight) hash of (node id, block index). Every node
 * computes the same map from the same member set, and a join or leave
 * moves only the blocks the joining/leaving node wins/held (~1/N). Blocks
 * keep CLUSTER SLOTS short (at most SLOTMAP_BLOCKS ranges, ~4096*(1-1/N),
 * instead of ~16384*(1-1/N) per slot); 4 slots per block keeps each
 * member's share within about +-10% of 16384/N up to 10 members (the
 * numbers are in slotmap.c). Pure. */
#ifndef SHOAL_SLOTMAP_H
#define SHOAL_SLOTMAP_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384
/* Slots per ownership block, a power of two dividing CLUSTER_SLOTS.
 * Changing it moves most keys and changes the version: all nodes of a
 * cluster must agree on it. */
#define SLOTMAP_BLOCK_SLOTS 4
#define SLOTMAP_BLOCKS (CLUSTER_SLOTS / SLOTMAP_BLOCK_SLOTS)

uint16_t crc16(const char *buf, size_t len);
/* Redis's keyHashSlot: hashes only the part inside the first {...} when
 * that part is non-empty. */
unsigned key_hash_slot(const char *key, size_t len);

struct slotmap {
    uint64_t version;             /* changes exactly when the member set does */
    size_t nnodes;
    char (*ids)[41];              /* the owners' ids, sorted */
    uint16_t owner[CLUSTER_SLOTS];/* index into ids; the same for every slot
                                     of a block */
};

/* Builds the map for these alive member ids (any order). Returns NULL on
 * allocation failure or when n is 0. */
struct slotmap *slotmap_build(const char *const *ids, size_t n);
void slotmap_free(struct slotmap *m);

#endif
