// SPDX-License-Identifier: GPL-2.0
/*
 * A program with a function named readline, for tests/kernel/bash.t.sh:
 * hooked with `ebpfmon bash --binary`. Its line is in a page of .rodata
 * that nothing touches before readline returns it, so the page is not in
 * memory then: the sleepable program must fault it in, the plain one
 * counts the line unreadable.
 */
#include <stdio.h>

/*
 * The line in the middle of 1 MiB of .rodata: beyond the kernel's fault-around
 * (64 KiB) of any page the program touches, so its page is not mapped yet.
 */
#define STUB_SIZE (1 << 20)
static const char fresh[STUB_SIZE] __attribute__((aligned(4096))) = { [STUB_SIZE / 2] = 'e', 'c', 'h', 'o',
	' ', 'f', 'r', 'e', 's', 'h', '-', 'p', 'a', 'g', 'e' };

__attribute__((noinline, used)) const char *readline(const char *prompt)
{
	__asm__ volatile("" : : "r"(prompt) : "memory");
	return fresh + STUB_SIZE / 2;
}

int main(void)
{
	const char *volatile line = readline("$ ");

	return line == NULL;
}
