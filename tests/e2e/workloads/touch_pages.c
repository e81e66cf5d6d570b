/* Touches N fresh anonymous pages (THP off for the range): N minor faults.
 * usage: touch_pages N [fork]   — with "fork", a child does it and exits
 * at once, and the parent prints the child's pid and rusage minflt. */
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 1000);

	if (argc > 2 && strcmp(argv[2], "fork") == 0) {
		struct rusage ru;
		int status;
		pid_t child = fork();

		if (child < 0)
			die("fork");
		if (child == 0) {
			touch_fresh_pages(n);
			_exit(0);
		}
		if (wait4(child, &status, 0, &ru) < 0)
			die("wait4");
		printf("child %d minflt %ld majflt %ld\n", child, ru.ru_minflt, ru.ru_majflt);
		pause_for_test();
		return 0;
	}
	touch_fresh_pages(n);
	pause_for_test();
	return 0;
}
