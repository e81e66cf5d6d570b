/* dl_callback's library, dlopen()ed after leaksnoop attached: calls back
 * into the program, so the program's allocations have this frame between
 * them and main. */
void *volatile cblib_sink;

__attribute__((noipa)) void *lib_call(void *(*cb)(void))
{
	void *p = cb();

	cblib_sink = p;	/* a real call, not a tail jump */
	return p;
}
