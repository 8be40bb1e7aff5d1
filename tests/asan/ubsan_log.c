// SPDX-License-Identifier: GPL-2.0
/*
 * Linked into build/ebpfmon-asan only (tier kernel-asan). GCC's ASan and
 * UBSan runtimes are two libraries, each with its own report file; the
 * UBSan one calls __sanitizer_set_report_path() for UBSAN_OPTIONS=log_path,
 * but the dynamic linker binds that call to libasan's copy, so UBSan keeps
 * writing to stderr, which the test scripts send wherever they like. Point
 * libubsan's own copy at EBPFMON_UBSAN_LOG, so every report lands in a file
 * the test runner reads.
 */
#include <dlfcn.h>
#include <stdlib.h>

__attribute__((constructor)) static void ubsan_report_path(void)
{
	const char *path = getenv("EBPFMON_UBSAN_LOG");
	void (*set_path)(const char *);
	void *ubsan;

	if (!path)
		return;
	ubsan = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (!ubsan)
		return;
	/* Looked up through the handle: libubsan's definition, not the interposed one. */
	set_path = (void (*)(const char *))dlsym(ubsan, "__sanitizer_set_report_path");
	if (set_path)
		set_path(path);
	dlclose(ubsan);
}
