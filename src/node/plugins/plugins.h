#ifndef R1_NODE_PLUGINS_PLUGINS_H
#define R1_NODE_PLUGINS_PLUGINS_H
/*
 * The built-in plugin vtables, one per file in this directory; registry.c
 * lists them.
 */
#include "node/plugin.h"

extern const struct plugin_ops plugin_echo_01;
extern const struct plugin_ops plugin_system_health_monitor_01;
extern const struct plugin_ops plugin_net_mon_01;
extern const struct plugin_ops plugin_net_config_monitor;
extern const struct plugin_ops plugin_update_monitor_01;
/* node/cstore/chain_store_base.c */
extern const struct plugin_ops plugin_chain_store_base;
/* node/r1fs/r1fs_manager.c */
extern const struct plugin_ops plugin_r1fs_manager;
extern const struct plugin_ops plugin_blas_bench_01;
extern const struct plugin_ops plugin_matmul_job_01;
extern const struct plugin_ops plugin_vector_search_01;
extern const struct plugin_ops plugin_chain_dist_worker_01;
extern const struct plugin_ops plugin_chain_dist_master_01;

#endif
