"""Image references through the bindings (the C suite tests the grammar in depth)."""
import pytest

import berth


@pytest.mark.parametrize("ref,string,familiar,registry", [
    ("mongo", "docker.io/library/mongo:latest", "mongo:latest", "registry-1.docker.io"),
    ("index.docker.io/user/app:1.2", "docker.io/user/app:1.2", "user/app:1.2", "registry-1.docker.io"),
    ("localhost:5000/a/b:tag", "localhost:5000/a/b:tag", "localhost:5000/a/b:tag", "localhost:5000"),
    ("busybox@sha256:" + "a" * 64, "docker.io/library/busybox@sha256:" + "a" * 64, "busybox@sha256:" + "a" * 64,
     "registry-1.docker.io"),
])
def test_normalised_as_docker_does(ref, string, familiar, registry):
    r = berth.Reference(ref)
    assert (r.string, r.familiar, r.registry) == (string, familiar, registry)
    assert berth.Reference(r.familiar) == r


def test_parts():
    r = berth.Reference("example.com:443/a/b:v1@sha256:" + "0" * 64)
    assert (r.domain, r.path, r.tag, r.digest) == ("example.com:443", "a/b", "v1", "sha256:" + "0" * 64)
    assert berth.Reference("x@sha256:" + "1" * 64).tag is None


@pytest.mark.parametrize("bad,fragment", [
    ("Mongo", "lowercase"),
    ("a:b:c", "tag"),
    ("", "empty"),
    ("x@sha256:12", "digest"),
])
def test_bad_references_name_the_part(bad, fragment):
    with pytest.raises(berth.InvalidArgument) as ei:
        berth.Reference(bad)
    assert fragment in str(ei.value)
