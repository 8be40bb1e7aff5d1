/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container names from the container runtime, for the labels container_name,
 * pod_name and pod_namespace:
 * - Docker's Engine API: GET /containers/<id>/json over its unix socket
 *   (Name, and the labels io.kubernetes.pod.name / .namespace the kubelet
 *   sets);
 * - CRI (containerd, CRI-O): runtime.v1.RuntimeService/ContainerStatus, a
 *   unary gRPC call (HTTP/2 without TLS over the unix socket, by libcurl;
 *   the two protobuf messages encoded and decoded here): the container's
 *   metadata name and the same io.kubernetes.pod.* labels.
 * Each id goes to its runtime's socket; an id whose runtime the path does
 * not say (under a cgroupfs pod) is asked of containerd, CRI-O and Docker in
 * turn.
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

/* The runtimes' unix sockets; "" for one not to ask. */
struct container_sockets {
	const char *docker, *containerd, *crio;
};

/* NULL when out of memory or no thread. */
struct container_names *container_names_new(const struct container_sockets *sockets,
					     unsigned int timeout_ms);
void container_names_free(struct container_names *cn);
/*
 * Container @id (64 hex) of @runtime (cgroup_meta's: "docker", "containerd",
 * "cri-o", "podman" or "" for unknown) is in use: resolve it when not known
 * or stale. Does not block on I/O.
 */
void container_names_want(struct container_names *cn, const char *id, const char *runtime);
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
/*
 * Parse a CRI ContainerStatusResponse (protobuf, without gRPC's 5-byte
 * prefix) into @c, names checked as for Docker; 0, or -1 when it is not a
 * well-formed message. Pure: unit-tested and fuzzed.
 */
int container_names_parse_cri(const unsigned char *msg, size_t len, struct store_container *c);

#endif
