"""The embedded engine's images: lookup by reference, tags, import and `docker build` (the Engine API's /images, /build)."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from labkit.courseimages import with_tag
from labkit.engines.sim import images as simimages
from labkit.errors import engine_error


def familiar(ref: str) -> str:
    """An image reference as dockerd lists it: Docker Hub's domain and its `library/` left out
    (`docker.io/library/alpine:3.10` is `alpine:3.10`, `docker.io/curlimages/curl:8.14.1` is `curlimages/curl:…`),
    as the docker CLI 28 sends `docker tag`'s name in full."""
    for domain in ("docker.io/", "index.docker.io/"):
        if ref.startswith(domain):
            ref = ref[len(domain):]
            if ref.startswith("library/") and "/" not in ref[len("library/"):]:
                ref = ref[len("library/"):]
            break
    return ref


class ImageOps:
    """Images: the Engine API's /images and /build. Mixed into SimEngine."""

    def _image(self, ref: str) -> simimages.SimImage | None:
        want = familiar(with_tag(ref))
        hex_ref = ref[7:] if ref.startswith("sha256:") else ref
        by_id = re.fullmatch(r"[0-9a-f]{4,64}", hex_ref) is not None  # an ID or ID prefix, never a name:tag
        for img in self.images:
            if want in img.tags or (by_id and img.id.split(":")[1].startswith(hex_ref)):
                return img
        return None

    def list_images(self) -> list[dict]:
        """GET /images/json."""
        return [i.summary() for i in self.images if i.tags]

    def inspect_image(self, name: str) -> dict:
        """GET /images/NAME/json."""
        img = self._image(name)
        if img is None:
            raise engine_error(404, f"No such image: {name}")
        return img.inspect()

    def import_image(self, tar_path: str, repository: str, tag: str, changes: list[str]) -> None:
        """Root filesystems cannot be imported: the embedded engine's base images are built in."""
        raise engine_error(501, "the embedded engine has the course's base images built in; nothing to import")

    def tag_image(self, image: str, tag: str) -> None:
        """POST /images/IMAGE/tag."""
        img = self._image(image)
        if img is None:
            raise engine_error(404, f"No such image: {image}")
        self._retag(img, with_tag(tag))

    def remove_image(self, name: str, force: bool = False) -> list[dict]:
        """DELETE /images/NAME (`docker rmi`), as dockerd 20.10 answers it: a tag is untagged; the image goes with
        its last tag unless a container uses it (409; forced, it goes unless the container runs); by ID, an image
        with several tags needs force."""
        with self.lock:
            img = self._image(name)
            if img is None:
                raise engine_error(404, f"No such image: {familiar(with_tag(name))}")
            tag = familiar(with_tag(name))
            users = [c for c in self.containers.values() if c.image is img]
            if tag in img.tags:
                if img.tags == [tag] and users and not force:
                    raise engine_error(409, f'conflict: unable to remove repository reference "{name}" (must force) '
                                       f"- container {users[0].id[:12]} is using its referenced image "
                                       f"{img.id.split(':')[1][:12]}")
                img.tags.remove(tag)
                done = [{"Untagged": tag}]
            else:  # by ID
                if len(img.tags) > 1 and not force:
                    raise engine_error(409, f"conflict: unable to delete {name} (must be forced) - image is "
                                       "referenced in multiple repositories")
                running = [c for c in users if c.running]
                if running or (users and not force):
                    how, state, user = ("cannot", "running", running[0]) if running else ("must", "stopped", users[0])
                    raise engine_error(409, f"conflict: unable to delete {name} ({how} be forced) - image is being "
                                       f"used by {state} container {user.id[:12]}")
                done = [{"Untagged": t} for t in img.tags]
                img.tags.clear()
            if not img.tags and (not users or (force and not any(c.running for c in users))):
                self.images.remove(img)  # forced: a stopped container keeps the image it was made from, untagged
                done.append({"Deleted": img.id})
            return done

    def _retag(self, img: simimages.SimImage, tag: str) -> None:
        tag = familiar(tag)
        for other in self.images:
            if tag in other.tags:
                other.tags.remove(tag)
        img.tags.append(tag)

    def build(self, context: BinaryIO, tag: str | None, dockerfile: str, buildargs: dict[str, str],
              labels: dict[str, str]) -> Iterator[dict]:
        """Build from a context tar the way the classic builder does; yields its stream."""
        work = tempfile.mkdtemp(dir=self.dir, prefix="ctx-")
        with tarfile.open(fileobj=context, mode="r") as tar:
            _extract_context(tar, work)
        lines: list[str] = []
        try:
            img = simimages.build(work, dockerfile, buildargs, self._image, os.path.join(self.dir, "layers"),
                                  lines.append, self.build_cache)
        except simimages.BuildError as err:
            yield from ({"stream": line} for line in lines)
            yield {"error": str(err), "errorDetail": {"message": str(err)}}
            return
        finally:
            shutil.rmtree(work, ignore_errors=True)
        yield from ({"stream": line} for line in lines)
        with self.lock:
            existing = next((i for i in self.images if i.id == img.id), None)
            if existing is None:
                self.images.append(img)
                existing = img
            if tag:
                self._retag(existing, with_tag(tag))
        yield {"aux": {"ID": img.id}}
        yield {"stream": f"Successfully built {img.id.split(':')[1][:12]}\n"}
        if tag:
            yield {"stream": f"Successfully tagged {with_tag(tag)}\n"}


def _extract_context(tar: tarfile.TarFile, dest: str) -> None:
    """Unpack a build context safely: tarfile's "data" filter where Python has it (3.11.4+, 3.12), else the
    same refusals by hand (Debian 12's 3.11.2): no absolute paths, nothing outside dest, no links leaving it,
    no devices; what the builder cannot use is refused with the name, as a context error."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
        return
    root = os.path.realpath(dest)
    safe = []
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(root, member.name))
        if member.name.startswith("/") or os.path.commonpath([root, target]) != root:
            raise tarfile.TarError(f"{member.name!r} would be extracted outside the build context")
        if member.islnk() or member.issym():
            link = os.path.realpath(os.path.join(root, os.path.dirname(member.name), member.linkname)) \
                if member.issym() else os.path.realpath(os.path.join(root, member.linkname))
            if os.path.commonpath([root, link]) != root:
                raise tarfile.TarError(f"{member.name!r} links outside the build context")
        elif not (member.isfile() or member.isdir()):
            continue  # devices, fifos: never part of a build context
        member.mode = (member.mode or 0o644) & 0o755
        safe.append(member)
    tar.extractall(dest, members=safe)  # noqa: S202 - every member checked above
