#ifndef R1_NODE_SYSINFO_H
#define R1_NODE_SYSINFO_H
/*
 * Figures of this machine for heartbeats and SYSTEM_HEALTH_MONITOR_01, read
 * from /proc and statvfs the way psutil reads them (so they mean what the
 * reference's fields mean): memory in GiB (MemTotal, MemAvailable, this
 * process's RSS), disk total and available of the filesystem holding the
 * node directory (f_blocks and f_bavail), CPU use in percent from /proc/stat
 * deltas between two samples, load averages.  GPUs are not probed; nodes
 * report the reference's "not available" string.
 */
#include "core/common.h"

#define SYSINFO_NO_GPU "No GPU or GPU drivers not installed"

/* CPU counters of the previous sample; embed and zero-initialise. */
struct sysinfo_cpu {
	uint64_t busy, total;
	bool have;
};

struct sysinfo {
	double cpu_used; /* percent since the previous sample (0..100) */
	int cpu_cores;   /* online */
	double mem_total_gb, mem_avail_gb, proc_mem_gb;
	double disk_total_gb, disk_avail_gb;
	double load1, load5, load15;
	char machine[72];   /* uname -m, the reference's CPU field */
	char platform[512]; /* "6.1.0-13-amd64-x86_64-with-glibc2.36" */
	char ip[64];        /* primary IPv4, "127.0.0.1" when there is none */
	/* GPU: never probed (gpu_name ""), only set by a demo's figures */
	char gpu_name[64];
	double gpu_mem_total_gb, gpu_mem_avail_gb, gpu_used;
};

/*
 * Sample everything; `disk_path` names the filesystem to measure.  Figures
 * that cannot be read are 0 (or "" for text).  `cpu` carries the previous
 * CPU counters (the first sample reports the average since boot).
 */
void sysinfo_sample(struct sysinfo *out, struct sysinfo_cpu *cpu, const char *disk_path);

/* Round to `digits` decimals (Python's round() for the values we show). */
double sysinfo_round(double x, int digits);

#endif
