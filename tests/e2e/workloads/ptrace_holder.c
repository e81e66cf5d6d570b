/* A second tracer for leaksnoop's "ptrace refused" test: seizes PID (as a
 * debugger or strace would), says "holding", and passes every signal on
 * until the process ends.
 * usage: ptrace_holder PID */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "workload.h"

int main(int argc, char **argv)
{
	pid_t pid = (pid_t)arg_long(argc, argv, 1, 0);
	int status;

	if (pid <= 0 || ptrace(PTRACE_SEIZE, pid, 0, 0))
		die("ptrace(PTRACE_SEIZE)");
	printf("holding\n");
	fflush(stdout);
	while (waitpid(pid, &status, __WALL) == pid) {
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if ((unsigned)status >> 16 == PTRACE_EVENT_STOP)
			ptrace(PTRACE_LISTEN, pid, 0, 0);
		else
			ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(status));
	}
	return 0;
}
