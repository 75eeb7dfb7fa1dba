/*
 * The built-in plugins, one line each.  Admin plugins (PLUGIN_F_ADMIN) are
 * also listed in the admin pipeline's table (node/adminpipe.c).
 */
#include "node/lib.h"
#include "node/pluginhost.h"
#include "node/plugins/plugins.h"

const struct plugin_ops *const plugin_builtins[] = {
    &plugin_echo_01,           &plugin_system_health_monitor_01,
    &plugin_net_mon_01,        &plugin_net_config_monitor,
    &plugin_update_monitor_01, &plugin_chain_store_base,
    &plugin_r1fs_manager,
    /* compute (node/compute.mk) */
    &plugin_blas_bench_01,     &plugin_matmul_job_01,
    &plugin_vector_search_01,  &plugin_chain_dist_worker_01,
    &plugin_chain_dist_master_01,
    NULL,
};
