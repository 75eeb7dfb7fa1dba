#ifndef R1_CORE_PROTO_H
#define R1_CORE_PROTO_H
/*
 * The Ratio1 wire vocabulary in one place: message keys exactly as the wire
 * spells them, event types, command actions, notification codes and tags,
 * admin plugin signatures and channel names.  Values come from the
 * reference (ratio1-protocol.md); where the reference's constant name and
 * the wire key differ, the wire key wins (EE_DESTINATION is "EE_DEST").
 */
#include "core/common.h"

/* ---- envelope (2.3) ---------------------------------------------------- */
#define K_EE_ADDR "EE_ADDR"
#define K_EE_ID "EE_ID"
#define K_EE_EVENT_TYPE "EE_EVENT_TYPE"
#define K_EE_VERSION "EE_VERSION"
#define K_EE_TIMESTAMP "EE_TIMESTAMP"
#define K_EE_TIMEZONE "EE_TIMEZONE"
#define K_EE_TZ "EE_TZ"
#define K_EE_MESSAGE_SEQ "EE_MESSAGE_SEQ"
#define K_EE_MESSAGE_ID "EE_MESSAGE_ID"
#define K_EE_TOTAL_MESSAGES "EE_TOTAL_MESSAGES"
#define K_EE_FORMATTER "EE_FORMATTER"
#define K_SB_IMPLEMENTATION "SB_IMPLEMENTATION"
#define K_EE_IS_ENCRYPTED "EE_IS_ENCRYPTED"
#define K_EE_ENCRYPTED_DATA "EE_ENCRYPTED_DATA"
#define K_EE_DEST "EE_DEST"
#define K_EE_DEST_ID "EE_DEST_ID"
#define K_EE_PAYLOAD_PATH "EE_PAYLOAD_PATH"
#define K_SESSION_ID "SESSION_ID"
#define K_INITIATOR_ID "INITIATOR_ID"
#define K_INITIATOR_ADDR "INITIATOR_ADDR"
#define K_MODIFIED_BY_ID "MODIFIED_BY_ID"
#define K_MODIFIED_BY_ADDR "MODIFIED_BY_ADDR"
#define K_SIGN_CANON_V "SIGN_CANON_V"
#define K_EE_SIGN "EE_SIGN"
#define K_EE_SENDER "EE_SENDER"
#define K_EE_HASH "EE_HASH"
#define K_EE_ETH_SENDER "EE_ETH_SENDER"
#define K_EE_ETH_SIGN "EE_ETH_SIGN"
#define EE_ETH_SIGN_PLACEHOLDER "0xBEEF"

#define EVENT_PAYLOAD "PAYLOAD"
#define EVENT_HEARTBEAT "HEARTBEAT"
#define EVENT_NOTIFICATION "NOTIFICATION"

/* Alias length limit of the reference (EE_ALIAS_MAX_SIZE). */
#define R1_ALIAS_MAX 20

/* ---- payload fields (GeneralPayload) ------------------------------------ */
#define K_STREAM_NAME "STREAM_NAME"
#define K_SIGNATURE "SIGNATURE"
#define K_INSTANCE_ID "INSTANCE_ID"
#define K_TAGS "TAGS"
#define K_ID_TAGS "ID_TAGS"
#define K_ID "ID"
#define K_TIMESTAMP_EXECUTION "TIMESTAMP_EXECUTION"
#define K_PLUGIN_CATEGORY "PLUGIN_CATEGORY"
#define K_USE_LOCAL_COMMS_ONLY "USE_LOCAL_COMMS_ONLY"
#define K_ENCODED_DATA "ENCODED_DATA"
#define K_HEARTBEAT_VERSION "HEARTBEAT_VERSION"
#define K_NETMON_VERSION "NETMON_VERSION"

/* ---- commands (4.1, 4.3) ------------------------------------------------ */
#define K_ACTION "ACTION"
#define K_PAYLOAD "PAYLOAD"
#define K_TIME "TIME"
#define K_VALIDATED "VALIDATED"

#define ACT_UPDATE_CONFIG "UPDATE_CONFIG"
#define ACT_DELETE_CONFIG "DELETE_CONFIG"
#define ACT_ARCHIVE_CONFIG "ARCHIVE_CONFIG"
#define ACT_DELETE_CONFIG_ALL "DELETE_CONFIG_ALL"
#define ACT_ARCHIVE_CONFIG_ALL "ARCHIVE_CONFIG_ALL"
#define ACT_UPDATE_PIPELINE_INSTANCE "UPDATE_PIPELINE_INSTANCE"
#define ACT_BATCH_UPDATE_PIPELINE_INSTANCE "BATCH_UPDATE_PIPELINE_INSTANCE"
#define ACT_PIPELINE_COMMAND "PIPELINE_COMMAND"
#define ACT_RESTART "RESTART"
#define ACT_STOP "STOP"
#define ACT_FULL_HEARTBEAT "FULL_HEARTBEAT"
#define ACT_TIMERS_ONLY_HEARTBEAT "TIMERS_ONLY_HEARTBEAT"
#define ACT_SIMPLE_HEARTBEAT "SIMPLE_HEARTBEAT"
#define ACT_RELOAD_CONFIG_FROM_DISK "RELOAD_CONFIG_FROM_DISK"
#define ACT_RESET_WHITELIST_COMMANDS_TO_TEMPLATE "RESET_WHITELIST_COMMANDS_TO_TEMPLATE"

/* ---- pipeline and instance config keys (4.3, 5.3) ----------------------- */
#define K_NAME "NAME"
#define K_TYPE "TYPE"
#define K_PLUGINS "PLUGINS"
#define K_INSTANCES "INSTANCES"
#define K_INSTANCE_CONFIG "INSTANCE_CONFIG"
#define K_INSTANCE_COMMAND "INSTANCE_COMMAND"
#define K_INSTANCE_COMMAND_LAST "INSTANCE_COMMAND_LAST"
#define K_COMMAND_PARAMS "COMMAND_PARAMS"
#define K_PIPELINE_COMMAND "PIPELINE_COMMAND"
#define K_PROCESS_DELAY "PROCESS_DELAY"
#define K_ALLOW_EMPTY_INPUTS "ALLOW_EMPTY_INPUTS"
#define K_FORCED_PAUSE "FORCED_PAUSE"
#define K_DISABLED "DISABLED"
#define K_WORKING_HOURS "WORKING_HOURS"
#define K_ENCRYPT_PAYLOAD "ENCRYPT_PAYLOAD"
#define K_PATH_FILTER "PATH_FILTER"
#define K_MESSAGE_FILTER "MESSAGE_FILTER"
#define K_DEFAULT_PLUGIN "DEFAULT_PLUGIN"
#define K_CAP_RESOLUTION "CAP_RESOLUTION"
#define K_OWNER "OWNER"
#define K_LAST_UPDATE_TIME "LAST_UPDATE_TIME"
#define K_CHAINSTORE_PEERS "CHAINSTORE_PEERS"
#define K_CHAINSTORE_RESPONSE_KEY "CHAINSTORE_RESPONSE_KEY"

#define PIPELINE_TYPE_VOID "Void"
#define PIPELINE_TYPE_NETWORK_LISTENER "NetworkListener"
#define ADMIN_PIPELINE "admin_pipeline"

/* ---- admin plugin signatures (5.4) -------------------------------------- */
#define SIG_NET_MON_01 "NET_MON_01"
#define SIG_NET_CONFIG_MONITOR "NET_CONFIG_MONITOR"
#define SIG_CHAIN_STORE_BASE "CHAIN_STORE_BASE"
#define SIG_UPDATE_MONITOR_01 "UPDATE_MONITOR_01"
#define SIG_ORACLE_SYNC_01 "ORACLE_SYNC_01"
#define SIG_R1FS_MANAGER "R1FS_MANAGER"
#define SIG_CSTORE_MANAGER_API "CSTORE_MANAGER_API"
#define SIG_R1FS_MANAGER_API "R1FS_MANAGER_API"
#define ADMIN_INSTANCE_SUFFIX "_INST"

/* ---- CStore replication (8): CHAIN_STORE_DATA of CHAIN_STORE_BASE payloads -- */
#define K_CHAIN_STORE_DATA "CHAIN_STORE_DATA"
#define CS_OP_STORE "SSTORE"
#define CS_OP_CONFIRM "SCONFIRM"
#define CS_OP_HSYNC_REQ "SHSYNC_REQ"
#define CS_OP_HSYNC_RESP "SHSYNC_RESP"
/* Ours, not the reference's (its nodes ignore unknown ops): a remote client's
 * request to run one CStore operation on a node, and the node's answer. */
#define CS_OP_REQ "CSTORE_REQ"
#define CS_OP_RESP "CSTORE_RESP"
#define CS_K_CMD "cmd"
#define CS_K_OK "ok"
#define CS_K_RESULT "result"
#define CS_K_REASON "reason"
#define CS_K_OP "op"
#define CS_K_KEY "key"
#define CS_K_VALUE "value"
#define CS_K_OWNER "owner"
#define CS_K_TOKEN "token"
#define CS_K_READONLY "readonly"
#define CS_K_CONFIRMS "confirms"
#define CS_K_MIN_CONFIRMS "min_confirms"
#define CS_K_CONFIRM_BY "confirm_by"
#define CS_K_CONFIRM_BY_ADDR "confirm_by_addr"
#define CS_K_PEERS "PEERS"
#define CS_K_INCLUDE_DEFAULT_PEERS "INCLUDE_DEFAULT_PEERS"
#define CS_K_TIMEOUT "TIMEOUT"
#define CS_K_MAX_RETRIES "MAX_RETRIES"
#define CS_K_REQUEST_ID "request_id"
#define CS_K_HKEY "hkey"
#define CS_K_SNAPSHOT "snapshot"
/* Config keys of the CHAIN_STORE_BASE instance. */
#define K_MIN_CONFIRMATIONS "MIN_CONFIRMATIONS"
#define K_CHAIN_PEERS_REFRESH_INTERVAL "CHAIN_PEERS_REFRESH_INTERVAL"
/* Reference defaults: per-attempt timeout, retries, admin MIN_CONFIRMATIONS. */
#define CSTORE_DEFAULT_TIMEOUT_S 10
#define CSTORE_DEFAULT_MAX_RETRIES 2
#define CSTORE_DEFAULT_MIN_CONFIRMATIONS 1
#define CSTORE_DEFAULT_HTTP_PORT 31234

/* ---- R1FS exchange (ours: the reference moves blocks with IPFS) ---------- */
/* R1FS_DATA of R1FS_MANAGER payloads; node/r1fs/xmsg.h has the layout. */
#define K_R1FS_DATA "R1FS_DATA"
#define R1FS_OP_ANNOUNCE "R1FS_ANNOUNCE"
#define R1FS_OP_WANT "R1FS_WANT"
#define R1FS_OP_BLOCK "R1FS_BLOCK"
#define R1FS_OP_NONE "R1FS_NONE"
#define R1FS_OP_REQ "R1FS_REQ"
#define R1FS_OP_RESP "R1FS_RESP"
#define R1FS_K_OP "op"
#define R1FS_K_VERSION "v"
#define R1FS_K_XFER "xfer"
#define R1FS_K_KEY "key"
#define R1FS_K_ROOT "root"
#define R1FS_K_CID "cid"
#define R1FS_K_CIDS "cids"
#define R1FS_K_DATA "data"
#define R1FS_K_REASON "reason"
#define R1FS_K_STORE "store"
#define R1FS_K_PINS "pins"
#define R1FS_K_USED "used"
#define R1FS_K_QUOTA "quota"
#define R1FS_K_BLOOM "bloom"
#define R1FS_K_BLOOM_K "bloom_k"
#define R1FS_K_RECENT "recent"
#define R1FS_K_HELLO "hello"
#define R1FS_K_REQUEST_ID "request_id"
#define R1FS_K_CMD "cmd"
#define R1FS_K_ARGS "args"
#define R1FS_K_OK "ok"
#define R1FS_K_RESULT "result"
/* The app-facing HTTP API's port (R1FS_MANAGER_API). */
#define R1FS_DEFAULT_HTTP_PORT 31235

/* ---- notifications (4.4) ------------------------------------------------ */
#define K_MODULE "MODULE"
#define K_NOTIFICATION_TYPE "NOTIFICATION_TYPE"
#define K_NOTIFICATION "NOTIFICATION"
#define K_NOTIFICATION_CODE "NOTIFICATION_CODE"
#define K_NOTIFICATION_TAG "NOTIFICATION_TAG"
#define K_INFO "INFO"
#define K_TIMESTAMP "TIMESTAMP"
#define K_ERROR_CODE "ERROR_CODE"
#define K_PLUGIN_RUNNING "PLUGIN_RUNNING"
#define K_DISPLAYED "DISPLAYED"

#define NOTIF_TYPE_NORMAL "NORMAL"
#define NOTIF_TYPE_EXCEPTION "EXCEPTION"
#define NOTIF_TYPE_ABNORMAL "ABNORMAL FUNCTIONING"
/* The reference caps NOTIFICATION text at 255 characters. */
#define NOTIFICATION_TEXT_MAX 255

enum notif_code {
	NC_PIPELINE_OK = 1,
	NC_PIPELINE_FAILED = -1,
	NC_PIPELINE_DATA_OK = 2,
	NC_PIPELINE_DATA_FAILED = -2,
	NC_PIPELINE_DCT_CONFIG_OK = 3,
	NC_PIPELINE_DCT_CONFIG_FAILED = -3,
	NC_PIPELINE_ARCHIVE_OK = 4,
	NC_PIPELINE_ARCHIVE_FAILED = -4,
	NC_PLUGIN_CONFIG_OK = 100,
	NC_PLUGIN_CONFIG_FAILED = -100,
	NC_PLUGIN_INSTANCE_COMMAND_OK = 101,
	NC_PLUGIN_INSTANCE_COMMAND_FAILED = -101,
	NC_PLUGIN_PAUSE_OK = 110,
	NC_PLUGIN_PAUSE_FAILED = -110,
	NC_PLUGIN_RESUME_OK = 111,
	NC_PLUGIN_RESUME_FAILED = -111,
	NC_PLUGIN_WORKING_HOURS_SHIFT_START = 112,
	NC_PLUGIN_WORKING_HOURS_SHIFT_START_FAILED = -112,
	NC_PLUGIN_WORKING_HOURS_SHIFT_END = 113,
	NC_PLUGIN_WORKING_HOURS_SHIFT_END_FAILED = -113,
	NC_PLUGIN_CONFIG_IN_PAUSE_OK = 120,
	NC_PLUGIN_CONFIG_IN_PAUSE_FAILED = -120,
	NC_PLUGIN_DELAYED = -999,
	NC_COMMS_OK = 1000,
	NC_COMM_RECEIVED_BAD_COMMAND = -5000,
	NC_SERVING_START_OK = 10000,
	NC_SERVING_START_FAILED = -10000,
	NC_SERVING_START_FATAL_FAIL = -99999,
};

/* The tag the reference sends with a code ("PIPELINE_OK"), or NULL. */
const char *notif_code_tag(int code);
/* The code of a tag, false if unknown. */
bool notif_tag_code(const char *tag, int *code);

/* ---- heartbeat fields (3.1) --------------------------------------------- */
#define K_CURRENT_TIME "CURRENT_TIME"
#define K_EE_WHITELIST "EE_WHITELIST"
#define K_EE_IS_SUPER "EE_IS_SUPER"
#define K_SECURED "SECURED"
#define K_EE_HB_TIME "EE_HB_TIME"
#define K_DEVICE_STATUS "DEVICE_STATUS"
#define K_MACHINE_IP "MACHINE_IP"
#define K_MACHINE_MEMORY "MACHINE_MEMORY"
#define K_AVAILABLE_MEMORY "AVAILABLE_MEMORY"
#define K_PROCESS_MEMORY "PROCESS_MEMORY"
#define K_CPU_USED "CPU_USED"
#define K_CPU_NR_CORES "CPU_NR_CORES"
#define K_CPU "CPU"
#define K_GPUS "GPUS"
#define K_GPU_INFO "GPU_INFO"
#define K_DEFAULT_CUDA "DEFAULT_CUDA"
#define K_TOTAL_DISK "TOTAL_DISK"
#define K_AVAILABLE_DISK "AVAILABLE_DISK"
#define K_UPTIME "UPTIME"
#define K_VERSION "VERSION"
#define K_ACTIVE_PLUGINS "ACTIVE_PLUGINS"
#define K_CONFIG_STREAMS "CONFIG_STREAMS"
#define K_NR_INFERENCES "NR_INFERENCES"
#define K_NR_PAYLOADS "NR_PAYLOADS"
#define K_NR_STREAMS_DATA "NR_STREAMS_DATA"
#define K_COMM_STATS "COMM_STATS"
#define K_DCT_STATS "DCT_STATS"
#define K_IN_KB "IN_KB"
#define K_OUT_KB "OUT_KB"
#define K_DEVICE_LOG "DEVICE_LOG"
#define K_ERROR_LOG "ERROR_LOG"
#define K_TIMERS "TIMERS"
#define K_LOOPS_TIMINGS "LOOPS_TIMINGS"
#define K_R1FS_ID "R1FS_ID"
#define K_R1FS_ONLINE "R1FS_ONLINE"
#define K_R1FS_RELAY "R1FS_RELAY"
#define K_COMM_RELAY "COMM_RELAY"

#define DEVICE_STATUS_ONLINE "ONLINE"

/* ---- NET_MON_01 (3.2) and NET_CONFIG_MONITOR (3.3) ------------------------ */
#define K_CURRENT_SERVER "CURRENT_SERVER"
#define K_CURRENT_NETWORK "CURRENT_NETWORK"
#define K_CURRENT_ALERTED "CURRENT_ALERTED"
#define K_WHITELIST_MAP "WHITELIST_MAP"
#define K_IS_SUPERVISOR "IS_SUPERVISOR"
#define K_SEND_CURRENT_NETWORK_EACH "SEND_CURRENT_NETWORK_EACH"
#define NETMON_WORKING_ONLINE "ONLINE"
#define NETMON_WORKING_LOST "LOST STATUS"

/* Per-node fields of CURRENT_NETWORK (net_mon.py::network_node_status). */
#define NM_ADDRESS "address"
#define NM_ETH_ADDRESS "eth_address"
#define NM_EEID "eeid"
#define NM_WORKING "working"
#define NM_TRUSTED "trusted"
#define NM_TRUST "trust"
#define NM_TRUST_INFO "trust_info"
#define NM_SECURED "secured"
#define NM_WHITELIST "whitelist"
#define NM_IS_SUPERVISOR "is_supervisor"
#define NM_RECENT "recent"
#define NM_DEPLOYMENT "deployment"
#define NM_VERSION "version"
#define NM_PY_VER "py_ver"
#define NM_LAST_REMOTE_TIME "last_remote_time"
#define NM_NODE_TZ "node_tz"
#define NM_NODE_UTC "node_utc"
#define NM_R1FS_ID "r1fs_id"
#define NM_R1FS_ONLINE "r1fs_online"
#define NM_R1FS_RELAY "r1fs_relay"
#define NM_COMM_RELAY "comm_relay"
#define NM_MAIN_LOOP_AVG_TIME "main_loop_avg_time"
#define NM_MAIN_LOOP_FREQ "main_loop_freq"
#define NM_PIPELINES_COUNT "pipelines_count"
#define NM_UPTIME "uptime"
#define NM_LAST_SEEN_SEC "last_seen_sec"
#define NM_AVAIL_DISK "avail_disk"
#define NM_AVAIL_DISK_PRC "avail_disk_prc"
#define NM_TOTAL_DISK "total_disk"
#define NM_IS_ALERT_DISK "is_alert_disk"
#define NM_TOTAL_MEM "total_mem"
#define NM_AVAIL_MEM "avail_mem"
#define NM_AVAIL_MEM_PRC "avail_mem_prc"
#define NM_IS_ALERT_RAM "is_alert_ram"
#define NM_TOTAL_CPU_CORES "total_cpu_cores"
#define NM_AVAIL_CPU_CORES "avail_cpu_cores"
#define NM_AVG_AVAIL_CPU_CORES "avg_avail_cpu_cores"
#define NM_CPU_USED "cpu_used"
#define NM_CPU_PAST1H "cpu_past1h"
#define NM_CPU_TEMP "cpu_temp"
#define NM_CPU_TEMP_PAST1H "cpu_temp_past1h"
#define NM_GPU_LOAD_PAST1H "gpu_load_past1h"
#define NM_GPU_MEM_PAST1H "gpu_mem_past1h"
#define NM_GPU_TEMP "gpu_temp"
#define NM_GPU_TEMP_PAST1H "gpu_temp_past1h"
#define NM_GPU_FAN "gpu_fan"
#define NM_GPU_FAN_PAST1H "gpu_fan_past1h"
#define NM_GPU_NAME "gpu_name"
#define NM_SCORE "SCORE"
#define NM_HAS_DID "has_did"
#define NM_COMMS "comms"
#define NM_TAGS "tags"
#define K_CURRENT_RANKING "CURRENT_RANKING"
#define K_CURRENT_NEW "CURRENT_NEW"
#define K_MESSAGE "MESSAGE"
#define K_STATUS "STATUS"

#define K_NET_CONFIG_DATA "NET_CONFIG_DATA"
#define K_OP "OP"
#define K_DEST "DEST"
#define K_PIPELINES "PIPELINES"
#define K_PLUGIN_STATUSES "PLUGIN_STATUSES"
#define NET_CONFIG_GET "GET_CONFIG"
#define NET_CONFIG_SET "SET_CONFIG"

/* ---- defaults of the reference ------------------------------------------ */
#define R1_DEFAULT_ROOT_TOPIC "naeural"
#define R1_HEARTBEAT_PERIOD_S 10
#define R1_ONLINE_TIMEOUT_S 60
#define R1_TRANSACTION_TIMEOUT_S 10
#define R1_APP_VERSION "2.10.370"
#define R1_CORE_VERSION "7.7.322"
#define R1_SDK_VERSION "3.5.49"

#endif
