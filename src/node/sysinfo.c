/*
 * /proc, statvfs and uname readers for sysinfo.h.  Every read is bounded
 * and every failure leaves its figure at zero: a heartbeat with a missing
 * figure is better than no heartbeat.
 */
#include "node/lib.h"
#include "node/sysinfo.h"

#include <arpa/inet.h>
#include <gnu/libc-version.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>

#define GIB (1024.0 * 1024.0 * 1024.0)

static size_t read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

static void read_cpu(struct sysinfo *out, struct sysinfo_cpu *cpu)
{
	char buf[4096];
	if (!read_small("/proc/stat", buf, sizeof(buf)) || strncmp(buf, "cpu ", 4) != 0)
		return;
	unsigned long long v[10] = {0};
	int n = sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
	               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
	if (n < 4)
		return;
	/* user nice system idle iowait irq softirq steal (guest is inside user) */
	uint64_t idle = v[3] + (n > 4 ? v[4] : 0);
	uint64_t total = 0;
	for (int i = 0; i < n && i < 8; i++)
		total += v[i];
	uint64_t busy = total - idle;
	if (cpu->have && total > cpu->total) {
		uint64_t dt = total - cpu->total;
		uint64_t db = busy >= cpu->busy ? busy - cpu->busy : 0;
		out->cpu_used = 100.0 * (double)db / (double)dt;
	} else if (total) {
		out->cpu_used = 100.0 * (double)busy / (double)total;
	}
	cpu->busy = busy;
	cpu->total = total;
	cpu->have = true;
}

static double meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	p += strlen(key);
	while (*p == ' ' || *p == ':' || *p == '\t')
		p++;
	return strtod(p, NULL);
}

static void read_memory(struct sysinfo *out)
{
	char buf[8192];
	if (read_small("/proc/meminfo", buf, sizeof(buf))) {
		out->mem_total_gb = meminfo_kb(buf, "MemTotal") * 1024.0 / GIB;
		out->mem_avail_gb = meminfo_kb(buf, "MemAvailable") * 1024.0 / GIB;
	}
	if (read_small("/proc/self/statm", buf, sizeof(buf))) {
		unsigned long long size = 0, rss = 0;
		if (sscanf(buf, "%llu %llu", &size, &rss) == 2)
			out->proc_mem_gb = (double)rss * (double)sysconf(_SC_PAGESIZE) / GIB;
	}
}

static void read_disk(struct sysinfo *out, const char *path)
{
	struct statvfs st;
	if (!path || statvfs(path, &st) != 0)
		return;
	out->disk_total_gb = (double)st.f_blocks * (double)st.f_frsize / GIB;
	out->disk_avail_gb = (double)st.f_bavail * (double)st.f_frsize / GIB;
}

static void read_load(struct sysinfo *out)
{
	char buf[256];
	if (read_small("/proc/loadavg", buf, sizeof(buf)))
		sscanf(buf, "%lf %lf %lf", &out->load1, &out->load5, &out->load15);
}

static void read_names(struct sysinfo *out)
{
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(out->machine, sizeof(out->machine), "%s", u.machine);
		snprintf(out->platform, sizeof(out->platform), "%s-%s-with-glibc%s", u.release,
		         u.machine, gnu_get_libc_version());
	}
	snprintf(out->ip, sizeof(out->ip), "127.0.0.1");
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) != 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
			continue;
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)i->ifa_addr;
		inet_ntop(AF_INET, &sin->sin_addr, out->ip, sizeof(out->ip));
		break;
	}
	freeifaddrs(ifa);
}

void sysinfo_sample(struct sysinfo *out, struct sysinfo_cpu *cpu, const char *disk_path)
{
	memset(out, 0, sizeof(*out));
	read_cpu(out, cpu);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	out->cpu_cores = n > 0 ? (int)n : 1;
	read_memory(out);
	read_disk(out, disk_path);
	read_load(out);
	read_names(out);
}

double sysinfo_round(double x, int digits)
{
	double m = pow(10.0, digits);
	return nearbyint(x * m) / m;
}
