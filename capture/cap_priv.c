/*
 * cap_priv: drop root in the order that cannot be undone: look the user up
 * (before chroot hides /etc/passwd), chroot, supplementary groups, gid,
 * uid; then prove that setuid(0) fails. Whether started as root or as a
 * user with capabilities (systemd's AmbientCapabilities), the agent ends
 * with no capability at all and no_new_privs set.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "cap_priv.h"

static int	 caps_clear(char *, size_t);

int
cap_priv_drop(const char *user, const char *chroot_dir, char *err,
    size_t errlen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return caps_clear(err, errlen);
	if (user == NULL || user[0] == '\0') {
		snprintf(err, errlen, "running as root and [capture] user is "
		    "empty: refusing to decode packets as root");
		return -1;
	}
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "[capture] user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0) {
		snprintf(err, errlen, "[capture] user %s is root", user);
		return -1;
	}
	if (chroot_dir != NULL && chroot_dir[0] != '\0') {
		if (chroot(chroot_dir) != 0 || chdir("/") != 0) {
			snprintf(err, errlen, "chroot %s: %s", chroot_dir,
			    strerror(errno));
			return -1;
		}
	}
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
	    setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "root privileges could be regained");
		return -1;
	}
	return caps_clear(err, errlen);
}

/*
 * The open capture handle needs no capability to be read: a user started
 * with CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode) gives them up
 * here, ambient, inheritable, permitted and effective; after a switch from
 * root they are empty already and this only makes sure. Then
 * PR_SET_NO_NEW_PRIVS: no execve can ever grant anything again (setuid
 * binaries, file capabilities). There is no libcap here: capset(2) is
 * called directly, with the version-3 header (two 32-bit words per set).
 */
static int
caps_clear(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL) {
		snprintf(err, errlen, "cannot clear ambient capabilities: %s",
		    strerror(errno));
		return -1;
	}
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capset, &hdr, data) != 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no_new_privs: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}
