/* Touches N fresh anonymous pages (THP off), stops, and does that STEPS
 * times: at each stop /proc/PID/stat holds still, so a test can compare a
 * window of faults with what a scraper recorded.
 * usage: fault_steps N STEPS */
#include "workload.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 1000), steps = arg_long(argc, argv, 2, 2);

	for (long s = 0; s < steps; s++) {
		touch_fresh_pages(n);
		pause_for_test();
	}
	return 0;
}
