"""The course images' users and groups, and `-u USER[:GROUP]` resolved against them as runc resolves it.

The stand-in images are Debian: their /etc/passwd and /etc/group are Debian's base files (recorded on dockerd
with `docker run --rm IMAGE cat /etc/passwd /etc/group`); the curl image adds curl_user (uid 100, group
curl_user 1000). A user spec is resolved when a container starts (and when an exec is made), as dockerd does:

- a name must be in the passwd file: `unable to find user NAME: no matching entries in passwd file`;
- a number need not be: `-u 1000` runs as uid 1000 with gid 0 and home `/` (`uid=1000 gid=0(root)`);
- `:GROUP` replaces the primary group (a name must be in the group file, a number need not be), and is then
  the only group.
"""

from __future__ import annotations

from dataclasses import dataclass

PASSWD = (("root", 0, 0, "/root"), ("daemon", 1, 1, "/usr/sbin"), ("bin", 2, 2, "/bin"), ("sys", 3, 3, "/dev"),
          ("sync", 4, 65534, "/bin"), ("games", 5, 60, "/usr/games"), ("man", 6, 12, "/var/cache/man"),
          ("lp", 7, 7, "/var/spool/lpd"), ("mail", 8, 8, "/var/mail"), ("news", 9, 9, "/var/spool/news"),
          ("uucp", 10, 10, "/var/spool/uucp"), ("proxy", 13, 13, "/bin"), ("www-data", 33, 33, "/var/www"),
          ("backup", 34, 34, "/var/backups"), ("list", 38, 38, "/var/list"), ("irc", 39, 39, "/run/ircd"),
          ("_apt", 42, 65534, "/nonexistent"), ("nobody", 65534, 65534, "/nonexistent"))
GROUPS = (("root", 0), ("daemon", 1), ("bin", 2), ("sys", 3), ("adm", 4), ("tty", 5), ("disk", 6), ("lp", 7),
          ("mail", 8), ("news", 9), ("uucp", 10), ("man", 12), ("proxy", 13), ("kmem", 15), ("dialout", 20),
          ("fax", 21), ("voice", 22), ("cdrom", 24), ("floppy", 25), ("tape", 26), ("sudo", 27), ("audio", 29),
          ("dip", 30), ("www-data", 33), ("backup", 34), ("operator", 37), ("list", 38), ("irc", 39), ("src", 40),
          ("shadow", 42), ("utmp", 43), ("video", 44), ("sasl", 45), ("plugdev", 46), ("staff", 50), ("games", 60),
          ("users", 100), ("nogroup", 65534))
CURL_USER = ("curl_user", 100, 1000, "/home/curl_user")
CURL_GROUP = ("curl_user", 1000)


class UnknownAccount(Exception):
    """A user or group name the image's files do not have (dockerd's words in the message)."""


@dataclass(frozen=True)
class Account:
    """Who a container's programs run as: uid, gid, their names in the image (None: not there) and home."""

    uid: int
    gid: int
    name: str | None
    group: str | None
    home: str

    @property
    def root(self) -> bool:
        """uid 0: root's rights whatever the name."""
        return self.uid == 0


def _tables(curl: bool) -> tuple[tuple, tuple]:
    return (PASSWD + (CURL_USER,), GROUPS + (CURL_GROUP,)) if curl else (PASSWD, GROUPS)


def group_name(gid: int, curl: bool) -> str | None:
    """A group's name in the image's group file (None when it has none)."""
    return next((name for name, number in _tables(curl)[1] if number == gid), None)


def resolve(spec: str, curl: bool) -> Account:
    """The account `-u spec` gives in an image (curl: the curl image's files); raises UnknownAccount."""
    passwd, groups = _tables(curl)
    who, _, grp = (spec or "root").partition(":")
    who = who or "root"
    entry = next((e for e in passwd if e[0] == who or (who.isdigit() and e[1] == int(who))), None)
    if entry is None and not who.isdigit():
        raise UnknownAccount(f"unable to find user {who}: no matching entries in passwd file")
    name, uid, gid, home = entry if entry else (None, int(who), 0, "/")
    if grp:
        found = next((g for g in groups if g[0] == grp or (grp.isdigit() and g[1] == int(grp))), None)
        if found is None and not grp.isdigit():
            raise UnknownAccount(f"unable to find group {grp}: no matching entries in group file")
        gid = found[1] if found else int(grp)
    return Account(uid, gid, name, group_name(gid, curl), home)

