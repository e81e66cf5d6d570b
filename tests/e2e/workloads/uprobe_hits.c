/* What a uprobe hit costs where the kernel emulates the probed instruction
 * and where it single-steps it out of line: two functions of one
 * instruction and a return, each called N times unprobed and N times under
 * a uprobe of its own (perf_event_open on the uprobe PMU: no BPF), CPU time
 * per call, interleaved REPS times. The hit count the kernel keeps must be
 * N (else the probe did not fire and the line says so).
 * usage: uprobe_hits [N] [REPS]
 * prints: "<name> <first instruction> ns_per_hit <min> <median> <max> hits <n>" */
#include <linux/perf_event.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include "workload.h"

/* emulated: arm64 simulates cbz, x86-64 emulates push; stepped: a mov */
#if defined(__aarch64__)
__asm__(".text\n.globl hit_emulated\n.type hit_emulated,%function\nhit_emulated:\n"
	"\tcbz x0, 1f\n1:\tret\n"
	".globl hit_stepped\n.type hit_stepped,%function\nhit_stepped:\n\tmov x1, x0\n\tret\n");
#define EMULATED_INSN "cbz"
#define STEPPED_INSN "mov"
#elif defined(__x86_64__)
__asm__(".text\n.globl hit_emulated\n.type hit_emulated,@function\nhit_emulated:\n"
	"\tpush %rbp\n\tpop %rbp\n\tret\n"
	".globl hit_stepped\n.type hit_stepped,@function\nhit_stepped:\n\tmov %rdi,%rax\n\tret\n");
#define EMULATED_INSN "push"
#define STEPPED_INSN "mov"
#endif
long hit_emulated(long x);
long hit_stepped(long x);

/* where fn is in the file mapped at it */
static uint64_t file_offset(void *fn)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	/* "lo-hi perms pgoff ..." */
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line;
		unsigned long lo = strtoul(p, &p, 16), hi = strtoul(p + 1, &p, 16), pgoff;

		p = strchr(p + 1, ' ');
		pgoff = p ? strtoul(p + 1, NULL, 16) : 0;
		if (p && (uintptr_t)fn >= lo && (uintptr_t)fn < hi) {
			fclose(f);
			return (uintptr_t)fn - lo + pgoff;
		}
	}
	die("fn not mapped");
	return 0;
}

static int uprobe_on(const char *path, uint64_t off)
{
	struct perf_event_attr a = { .size = sizeof(a) };
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	char num[32];
	int fd;

	if (!f || !fgets(num, sizeof(num), f))
		die("uprobe PMU type");
	fclose(f);
	a.type = (uint32_t)strtoul(num, NULL, 10);
	a.config1 = (uint64_t)(uintptr_t)path;
	a.config2 = off;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0)
		die("perf_event_open uprobe");
	return fd;
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double calls_ns(long (*fn)(long), long n)
{
	double t0 = cpu_ns();
	long sum = 0;

	for (long i = 0; i < n; i++)
		sum += fn(i);
	if (sum == 42)
		puts("");	/* keeps the calls */
	return cpu_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 20000), reps = arg_long(argc, argv, 2, 5);
	static const struct { const char *name, *insn; long (*fn)(long); } fns[2] = {
		{ "emulated", EMULATED_INSN, hit_emulated }, { "stepped", STEPPED_INSN, hit_stepped },
	};
	double per[2][64];
	uint64_t hits[2] = { 0, 0 };
	char path[4096];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (len <= 0 || reps < 1 || reps > 64)
		die("usage");
	path[len] = 0;
	for (long r = 0; r < reps; r++)
		for (int k = 0; k < 2; k++) {
			double plain = calls_ns(fns[k].fn, n), probed;
			int fd = uprobe_on(path, file_offset((void *)fns[k].fn));
			uint64_t count = 0;

			ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
			probed = calls_ns(fns[k].fn, n);
			ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
			if (read(fd, &count, sizeof(count)) != sizeof(count))
				die("read count");
			close(fd);
			hits[k] += count;
			per[k][r] = (probed - plain) / (double)n;
		}
	for (int k = 0; k < 2; k++) {
		qsort(per[k], (size_t)reps, sizeof(double), cmp_double);
		printf("%s %s ns_per_hit %.0f %.0f %.0f hits %llu\n", fns[k].name, fns[k].insn,
		       per[k][0], per[k][reps / 2], per[k][reps - 1], (unsigned long long)hits[k]);
	}
	return 0;
}
