/* slotmap.h -- which node owns a key: slot = CRC16(key) mod 16384 with
 * Redis Cluster's hash tags ({...}), so key placement matches Redis
 * Cluster; the owner of a slot is the alive member with the highest
 * rendezvous (highest-random-weight) hash of (node id, slot). Every node
 * computes the same map from the same member set, and a join or leave
 * moves only the slots the joining/leaving node wins/held (~1/N). Pure. */
#ifndef SHOAL_SLOTMAP_H
#define SHOAL_SLOTMAP_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384

uint16_t crc16(const char *buf, size_t len);
/* Redis's keyHashSlot: hashes only the part inside the first {...} when
 * that part is non-empty. */
unsigned key_hash_slot(const char *key, size_t len);

struct slotmap {
    uint64_t version;             /* changes exactly when the member set does */
    size_t nnodes;
    char (*ids)[41];              /* the owners' ids, sorted */
    uint16_t owner[CLUSTER_SLOTS];/* index into ids */
};

/* Builds the map for these alive member ids (any order). Returns NULL on
 * allocation failure or when n is 0. */
struct slotmap *slotmap_build(const char *const *ids, size_t n);
void slotmap_free(struct slotmap *m);

#endif
