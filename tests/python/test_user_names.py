"""Spec.set_user_name (berth_spec_set_user_name): "NAME[:GROUP]" / "UID[:GID]"
resolved against the container's own /etc/passwd and /etc/group, given as
one rootfs, a list of layer directories (whiteouts honoured) or an Image."""
import os
import subprocess

import pytest

import berth

PASSWD = "root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1001::/home/bob:/bin/sh\n"
GROUP = "root:x:0:\nstaff:x:50:\nbobs:x:1001:\n"


def _root(path, passwd=None, group=None):
    os.makedirs(os.path.join(path, "etc"), exist_ok=True)
    if passwd is not None:
        with open(os.path.join(path, "etc", "passwd"), "w") as f:
            f.write(passwd)
    if group is not None:
        with open(os.path.join(path, "etc", "group"), "w") as f:
            f.write(group)
    return str(path)


def _user(spec):
    return spec.get("/process/user")


def test_names_from_a_rootfs(tmp_path):
    root = _root(tmp_path / "r", PASSWD, GROUP)
    s = berth.Spec()
    assert _user(s.set_user_name("bob", root)) == {"uid": 1000, "gid": 1001}
    assert _user(s.set_user_name("bob:staff", root)) == {"uid": 1000, "gid": 50}
    assert _user(s.set_user_name("1000", root)) == {"uid": 1000, "gid": 1001}
    assert _user(s.set_user_name("42:43")) == {"uid": 42, "gid": 43}
    with pytest.raises(berth.InvalidArgument, match="user 'alice': no such user in /etc/passwd"):
        s.set_user_name("alice", root)
    with pytest.raises(berth.InvalidArgument, match="no group 'wheel' in /etc/group"):
        s.set_user_name("bob:wheel", root)
    with pytest.raises(berth.InvalidArgument):
        s.set_user_name("bob")  # no root: names cannot be looked up
    assert _user(s) == {"uid": 42, "gid": 43}  # failures changed nothing


def test_names_from_layers_with_a_whiteout(tmp_path):
    lower = _root(tmp_path / "lower", PASSWD, GROUP)
    upper = _root(tmp_path / "upper", group="staff:x:60:\n")
    s = berth.Spec()
    # the upper layer's /etc/group wins, the lower /etc/passwd shows through
    assert _user(s.set_user_name("bob:staff", [lower, upper])) == {"uid": 1000, "gid": 60}
    # a whiteout of /etc/passwd in the upper layer hides the lower one
    os.mknod(os.path.join(upper, "etc", "passwd"), 0o600 | 0o020000, os.makedev(0, 0))
    with pytest.raises(berth.InvalidArgument, match="no such user"):
        s.set_user_name("bob", [lower, upper])
    assert _user(s.set_user_name("bob", [lower])) == {"uid": 1000, "gid": 1001}


def test_names_from_an_image(roots, rootfs, tmp_path):
    tarball = tmp_path / "bb.tar"
    subprocess.run(["tar", "-C", rootfs, "--numeric-owner", "-cf", str(tarball), "."], check=True)
    with berth.Context(root=roots[0], run_root=roots[1]) as ctx:
        img = ctx.import_image(str(tarball), "busybox:users")
        s = berth.Spec()
        assert _user(s.set_user_name("nobody", img)) == {"uid": 65534, "gid": 65534}
        s.set_image(img, cmd=["sh", "-c", "id -u; id -g"])
        s.set_user_name("nobody:root", img)
        r = ctx.run(spec=s, capture_output=True)
        assert r.exit_code == 0 and r.stdout.split() == [b"65534", b"0"]


def test_run_user_keyword_takes_names(roots, rootfs):
    with berth.Context(root=roots[0], run_root=roots[1]) as ctx:
        r = ctx.run(["sh", "-c", "id -u; id -g"], rootfs=rootfs, user="nobody", capture_output=True)
        assert r.exit_code == 0 and r.stdout.split() == [b"65534", b"65534"]
        with pytest.raises(berth.InvalidArgument, match="no such user"):
            ctx.run(["true"], rootfs=rootfs, user="nosuchuser")
