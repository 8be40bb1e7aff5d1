/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EBPFMON_VERSION_H
#define EBPFMON_VERSION_H
#ifndef EBPFMON_VERSION
#define EBPFMON_VERSION "0.1.0"
#endif
#endif
