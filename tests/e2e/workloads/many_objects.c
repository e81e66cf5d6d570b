/* A process with many mapped objects, for leaksnoop's attach-time check:
 * dlopen()s the system's shared libraries (sorted by name) until at least
 * N objects with code are mapped, then stops itself (SIGSTOP) and, once
 * continued, leaks one block and exits. A library whose dlopen fails is
 * skipped; one that would crash the process is found in a child first.
 * usage: many_objects N [DIR] — prints "objects=N" on stderr. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "workload.h"

static int count_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info, (void)size;
	++*(int *)data;
	return 0;
}

static int objects(void)
{
	int n = 0;

	dl_iterate_phdr(count_cb, &n);
	return n;
}

/* dlopen in a child first: constructors of some libraries abort when
 * loaded out of context. */
static int loads_safely(const char *path)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		_exit(dlopen(path, RTLD_LAZY | RTLD_LOCAL) ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_shared_lib(const struct dirent *d)
{
	return d->d_type == DT_REG && strncmp(d->d_name, "lib", 3) == 0 && strstr(d->d_name, ".so.");
}

int main(int argc, char **argv)
{
	long want = arg_long(argc, argv, 1, 300);
	const char *dir = argc > 2 ? argv[2] : "/usr/lib/x86_64-linux-gnu";
	struct dirent **names;
	int n = scandir(dir, &names, is_shared_lib, by_name);
	char path[4096];
	void *volatile leak;

	if (n < 0)
		die("scandir");
	for (int i = 0; i < n && objects() < want; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (loads_safely(path))
			dlopen(path, RTLD_LAZY | RTLD_LOCAL);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	fprintf(stderr, "objects=%d\n", objects());
	kill(getpid(), SIGSTOP);
	leak = malloc(4242);
	(void)leak;
	return 0;
}
