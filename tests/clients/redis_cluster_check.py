#!/usr/bin/python3
"""redis_cluster_check.py -- redis-py's RedisCluster against a shoal cluster
in redirect mode: bootstraps from one node (CLUSTER SLOTS), writes and reads
keys spread over every node (following MOVED), multi-key commands on one
hash tag, and a pipeline. Prints "ok N keys" on success; any failure raises.

    tests/clients/redis_cluster_check.py HOST PORT
"""
import sys

from redis.cluster import RedisCluster


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    rc = RedisCluster(host=host, port=port)
    nodes = {n.port for n in rc.get_nodes()}
    assert len(nodes) >= 2, "bootstrap found %r" % nodes
    n = 200
    for i in range(n):
        assert rc.set("rc:%d" % i, i) is True
    for i in range(n):
        assert rc.get("rc:%d" % i) == str(i).encode(), i
    assert rc.mset({"{tag}a": "1", "{tag}b": "2"}) is True
    assert rc.mget(["{tag}a", "{tag}b"]) == [b"1", b"2"]
    pipe = rc.pipeline()
    for i in range(20):
        pipe.incr("rc:ctr:%d" % i)
    assert pipe.execute() == [1] * 20
    # every key landed on the node that owns its slot
    for i in range(0, n, 10):
        key = "rc:%d" % i
        node = rc.get_node_from_key(key)
        assert node.port in nodes
    print("ok %d keys over %d nodes" % (n, len(nodes)))


if __name__ == "__main__":
    main()
