"""The embedded engine finds images by name:tag or by ID prefix, never by a tag that happens to look like an ID."""

from __future__ import annotations

from labkit.engines.sim.engine import SimEngine


def test_a_tag_is_never_taken_for_an_id_prefix():
    engine = SimEngine()
    for img in engine.images:
        digits = img.id.split(":")[1]
        assert engine._image(digits[:12]) is img and engine._image("sha256:" + digits) is img
        assert engine._image(f"labkit-no-such-base:{digits[0]}") is None
        assert engine._image(f"labkit-no-such-base:{digits[:6]}") is None
