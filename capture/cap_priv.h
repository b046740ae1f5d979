/*
 * cap_priv: privilege drop once the capture handle is open (tcpdump -Z,
 * OpenSMTPD). No packet is parsed as root.
 */
#ifndef SA_CAPTURE_CAP_PRIV_H
#define SA_CAPTURE_CAP_PRIV_H

#include <stddef.h>

/*
 * If running as root: optional chroot (chroot_dir non-empty), then
 * setgroups, setresgid, setresuid to user, each checked, and a final check
 * that root cannot be regained. Root with an empty user is refused. Root
 * or not, every capability is then dropped (ambient, inheritable,
 * permitted, effective) and PR_SET_NO_NEW_PRIVS set. Returns 0, or -1
 * with the reason in err.
 */
int	cap_priv_drop(const char *user, const char *chroot_dir, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

#endif
