#!/usr/bin/python3
# unit_seccomp.py UNIT -- COMMAND ARGS...
#
# Loads the system call filter a systemd unit asks for and execs COMMAND under
# it, the way systemd would when PID 1 is not systemd (a container): the
# unit's SystemCallFilter= (allow lists; "~" lines deny), with the groups
# expanded by systemd's own `systemd-analyze syscall-filter`, denied calls
# failing with SystemCallErrorNumber=, and RestrictAddressFamilies= for
# socket(2). Needs no_new_privs set before (setpriv --no-new-privs) or
# CAP_SYS_ADMIN. One line and exit 2 on a unit it cannot read.
import errno
import os
import socket
import subprocess
import sys

import seccomp


def unit_values(path, key):
	"""Every value of KEY in the [Service] section, in order."""
	vals, section = [], None
	with open(path) as f:
		for line in f:
			line = line.strip()
			if line.startswith("["):
				section = line
			elif section == "[Service]" and line.startswith(key + "="):
				vals.append(line[len(key) + 1:])
	return vals


def expand(name, seen=None):
	"""A call or @group as a set of call names (groups through systemd-analyze)."""
	if not name.startswith("@"):
		return {name}
	seen = seen if seen is not None else set()
	if name in seen:
		return set()
	seen.add(name)
	out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True,
			     text=True, check=True).stdout
	calls = set()
	for line in out.splitlines():
		word = line.strip()
		if not word or word.startswith("#") or word == name:
			continue
		calls |= expand(word, seen)
	return calls


def main():
	if len(sys.argv) < 4 or sys.argv[2] != "--":
		print("usage: unit_seccomp.py UNIT -- COMMAND ARGS...", file=sys.stderr)
		return 2
	unit, cmd = sys.argv[1], sys.argv[3:]
	try:
		filters = unit_values(unit, "SystemCallFilter")
	except OSError as e:
		print(f"unit_seccomp.py: {unit}: {e.strerror}", file=sys.stderr)
		return 2
	allow, deny = set(), set()
	for v in filters:
		neg = v.startswith("~")
		for word in v.lstrip("~").split():
			(deny if neg else allow).update(expand(word))
	allow -= deny
	err = unit_values(unit, "SystemCallErrorNumber")
	err_no = getattr(errno, err[-1]) if err else errno.EPERM

	f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(err_no))
	families = " ".join(unit_values(unit, "RestrictAddressFamilies")).split()
	for call in sorted(allow):
		if call == "socket" and families:
			continue
		try:
			f.add_rule(seccomp.ALLOW, call)
		except (RuntimeError, ValueError):
			pass  # not a call on this architecture (systemd skips those too)
	for fam in families:
		f.add_rule(seccomp.ALLOW, "socket", seccomp.Arg(0, seccomp.EQ, getattr(socket, fam)))
	f.load()
	os.execvp(cmd[0], cmd)


if __name__ == "__main__":
	sys.exit(main())
