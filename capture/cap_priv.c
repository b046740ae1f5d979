/*
 * cap_priv: drop root in the order that cannot be undone: look the user up
 * (before chroot hides /etc/passwd), chroot, supplementary groups, gid,
 * uid; then prove that setuid(0) fails.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cap_priv.h"

int
cap_priv_drop(const char *user, const char *chroot_dir, char *err,
    size_t errlen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
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
	return 0;
}
