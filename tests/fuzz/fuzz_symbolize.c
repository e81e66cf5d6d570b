// SPDX-License-Identifier: GPL-2.0
/* Fuzzes the user-space symbolizer with a corrupt or truncated ELF file:
 * a traced process can map any file it likes, and the symbolizer opens it
 * (load bias from the program headers, then libdwfl's ELF, symbol table and
 * DWARF line parsing). The input goes to a memfd, as vDSO images do. */
#define _GNU_SOURCE	/* memfd_create */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "symbolize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* No network lookups of the input's build-id: slow and not ours. */
	unsetenv("DEBUGINFOD_URLS");
	return 0;
}

static int input_fd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	return fd;
}

/* The file is placed at 0x400000: there its vaddr 0x1139 (PIE or .so) is
 * text, and so is the entry point from the ELF header (e_entry, bytes
 * 24..31 of an ELF64; relative to the load address unless ET_EXEC), which
 * also lets the fuzzer steer the address. Each call reports the file anew,
 * so two addresses keep the runs fast. */
static void resolve_some(int fd, const uint8_t *data, size_t size)
{
	uint64_t entry;
	char buf[256];

	(void)usym_resolve_in_file(fd, 0x401139, buf, sizeof(buf));
	if (size < 32)
		return;
	memcpy(&entry, data + 24, sizeof(entry));
	if (data[16] != 2)	/* e_type: not ET_EXEC */
		entry += 0x400000;
	(void)usym_resolve_in_file(fd, entry, buf, sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = input_fd(data, size);

	resolve_some(fd, data, size);
	close(fd);
	return 0;
}
