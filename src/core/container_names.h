/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container names from the container runtime, for the labels container_name,
 * pod_name and pod_namespace. Docker's Engine API only
 * (GET /containers/<id>/json over its unix socket: Name, and the labels
 * io.kubernetes.pod.name / .namespace the kubelet sets); CRI (containerd,
 * cri-o speak gRPC) is not asked: their containers keep their ids.
 *
 * The collector never waits for a runtime: container_names_want() queues an
 * id and returns, a thread of its own asks the runtime (each request bounded
 * by a timeout, so a runtime that hangs only delays names), and
 * container_names_snapshot() copies what is known. Answers are kept for a
 * while (a container can be renamed), failures retried later, and ids no
 * longer asked for are forgotten.
 */
#ifndef EBPFMON_CONTAINER_NAMES_H
#define EBPFMON_CONTAINER_NAMES_H

#include <stddef.h>

#include "core/store.h"

struct container_names;

/* Ask the Docker API at unix socket @docker_socket; NULL when out of memory or no thread. */
struct container_names *container_names_new(const char *docker_socket, unsigned int timeout_ms);
void container_names_free(struct container_names *cn);
/* Container @id (64 hex) is in use: resolve it when not known or stale. Does not block on I/O. */
void container_names_want(struct container_names *cn, const char *id);
/*
 * The containers with a name, sorted by id, in a new array (*@out, to free);
 * 0, or -1 when out of memory.
 */
int container_names_snapshot(struct container_names *cn, struct store_container **out,
			     size_t *nr);
/*
 * Parse Docker's answer to GET /containers/<id>/json into @c (names with
 * anything but [A-Za-z0-9_.-] are dropped); 0, or -1 when it is not JSON.
 * Pure: unit-tested.
 */
int container_names_parse_docker(const char *json, size_t len, struct store_container *c);

#endif
