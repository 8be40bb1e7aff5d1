// SPDX-License-Identifier: GPL-2.0
/* Table fill through the map iterator of mapfill.bpf.c (see mapfill.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/kmem.h"
#include "core/mapfill.h"
#include "mapfill.skel.h"

struct mapfill {
	struct mapfill_bpf *skel;
	struct bpf_link *link;
};

struct mapfill *mapfill_open(char *err, size_t errlen)
{
	struct mapfill *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->skel = mapfill_bpf__open_and_load();
	if (!f->skel) {
		/* The kfunc came with 6.6: older kernels report no fill. */
		snprintf(err, errlen, "map fill iterator: load failed (%s)", strerror(errno));
		goto fail;
	}
	f->link = bpf_program__attach_iter(f->skel->progs.map_fill, NULL);
	if (!f->link) {
		snprintf(err, errlen, "map fill iterator: attach failed (%s)", strerror(errno));
		goto fail;
	}
	return f;
fail:
	mapfill_close(f);
	return NULL;
}

static bool counted(const struct map_mem *m, const struct mapfill_rec *r)
{
	if (!m->id || m->id != r->id)
		return false;
	switch (r->type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	}
	return false;
}

int mapfill_read(struct mapfill *f, struct map_mem *mem, size_t n)
{
	struct mapfill_rec recs[256];
	int fd = bpf_iter_create(bpf_link__fd(f->link));
	ssize_t got;

	if (fd < 0)
		return -errno;
	/* Records are never split across reads: each read returns whole ones. */
	while ((got = read(fd, recs, sizeof(recs))) > 0) {
		for (size_t r = 0; r < (size_t)got / sizeof(recs[0]); r++)
			for (size_t i = 0; i < n; i++)
				if (counted(&mem[i], &recs[r]))
					mem[i].entries = recs[r].entries;
	}
	close(fd);
	return got < 0 ? -errno : 0;
}

void mapfill_close(struct mapfill *f)
{
	if (!f)
		return;
	bpf_link__destroy(f->link);
	mapfill_bpf__destroy(f->skel);
	free(f);
}
