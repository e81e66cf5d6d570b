/* SPDX-License-Identifier: GPL-2.0 */
/* Included first (-include) in every user-space file clang-tidy checks,
 * never in a build: tells the static analyzer what it cannot see into.
 * Needs clang-analyzer-unix.DynamicMemoryModeling:Optimistic (.clang-tidy). */
#ifndef MMSCOPE_ANALYZER_MODELS_H
#define MMSCOPE_ANALYZER_MODELS_H
/* libbpf.h declares the same function again: no redundant-declaration finding. */
#pragma clang system_header

/* The generated skeleton's create_skeleton() hands the calloc'd skeleton to
 * libbpf on its error path; libbpf frees it. Without this the analyzer
 * reports a leak inside build/<tool>.skel.h for every tool. */
struct bpf_object_skeleton;
void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
	__attribute__((ownership_takes(malloc, 1)));

#endif
