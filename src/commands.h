/* commands.h -- the procs that implement commands, grouped by the file that
 * defines them. command_table.c binds names to these. */
#ifndef SHOAL_COMMANDS_H
#define SHOAL_COMMANDS_H

struct client;

/* cmd_string.c */
void cmd_get(struct client *c);
void cmd_set(struct client *c);
void cmd_setnx(struct client *c);
void cmd_setex(struct client *c);
void cmd_psetex(struct client *c);
void cmd_getset(struct client *c);
void cmd_getdel(struct client *c);
void cmd_getex(struct client *c);
void cmd_mget(struct client *c);
void cmd_mset(struct client *c);
void cmd_msetnx(struct client *c);
void cmd_append(struct client *c);
void cmd_strlen(struct client *c);
void cmd_getrange(struct client *c);
void cmd_setrange(struct client *c);
void cmd_incr(struct client *c);
void cmd_decr(struct client *c);
void cmd_incrby(struct client *c);
void cmd_decrby(struct client *c);
void cmd_incrbyfloat(struct client *c);

/* cmd_keys.c */
void cmd_del(struct client *c);
void cmd_unlink(struct client *c);
void cmd_exists(struct client *c);
void cmd_touch(struct client *c);
void cmd_type(struct client *c);
void cmd_expire(struct client *c);
void cmd_pexpire(struct client *c);
void cmd_expireat(struct client *c);
void cmd_pexpireat(struct client *c);
void cmd_ttl(struct client *c);
void cmd_pttl(struct client *c);
void cmd_expiretime(struct client *c);
void cmd_pexpiretime(struct client *c);
void cmd_persist(struct client *c);
void cmd_rename(struct client *c);
void cmd_renamenx(struct client *c);
void cmd_keys(struct client *c);
void cmd_scan(struct client *c);
void cmd_randomkey(struct client *c);
void cmd_dbsize(struct client *c);
void cmd_flushdb(struct client *c);
void cmd_flushall(struct client *c);
void cmd_select(struct client *c);
void cmd_swapdb(struct client *c);
void cmd_move(struct client *c);
void cmd_object_idletime(struct client *c);
void cmd_object_freq(struct client *c);
void cmd_object_encoding(struct client *c);
void cmd_object_refcount(struct client *c);
void cmd_object_help(struct client *c);
void cmd_memory_usage(struct client *c);
void cmd_memory_help(struct client *c);

/* multi.c */
void cmd_multi(struct client *c);
void cmd_exec(struct client *c);
void cmd_discard(struct client *c);
void cmd_watch(struct client *c);
void cmd_unwatch(struct client *c);

/* cmd_connection.c */
void cmd_ping(struct client *c);
void cmd_echo(struct client *c);
void cmd_quit(struct client *c);
void cmd_reset(struct client *c);
void cmd_hello(struct client *c);
void cmd_auth(struct client *c);
void cmd_time(struct client *c);
void cmd_shutdown(struct client *c);

/* cmd_client.c */
void cmd_client_id(struct client *c);
void cmd_client_setname(struct client *c);
void cmd_client_getname(struct client *c);
void cmd_client_setinfo(struct client *c);
void cmd_client_info(struct client *c);
void cmd_client_list(struct client *c);
void cmd_client_kill(struct client *c);
void cmd_client_reply(struct client *c);
void cmd_client_no_evict(struct client *c);
void cmd_client_help(struct client *c);

/* cmd_info.c */
void cmd_info(struct client *c);

/* cmd_config.c */
void cmd_config_get(struct client *c);
void cmd_config_set(struct client *c);
void cmd_config_resetstat(struct client *c);
void cmd_config_help(struct client *c);

/* cmd_cluster.c */
void cmd_cluster_info(struct client *c);
void cmd_cluster_nodes(struct client *c);
void cmd_cluster_slots(struct client *c);
void cmd_cluster_shards(struct client *c);
void cmd_cluster_members(struct client *c);
void cmd_cluster_myid(struct client *c);
void cmd_cluster_keyslot(struct client *c);
void cmd_cluster_countkeysinslot(struct client *c);
void cmd_cluster_getkeysinslot(struct client *c);
void cmd_cluster_help(struct client *c);
void cmd_cluster_peerlink(struct client *c);
void cmd_readonly(struct client *c);
void cmd_readwrite(struct client *c);
void cmd_asking(struct client *c);

/* cmd_command.c */
void cmd_command(struct client *c);
void cmd_command_count(struct client *c);
void cmd_command_info(struct client *c);
void cmd_command_docs(struct client *c);
void cmd_command_list(struct client *c);
void cmd_command_getkeys(struct client *c);
void cmd_command_help(struct client *c);

#endif
