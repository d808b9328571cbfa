"""What the real cloud does where the unit tests' stand-ins imitate it, recorded against the
test cloud (Debian's Epoxy packages). ``tests/integration/test_cloud_image.py`` checks the
real cloud still behaves so, and the stand-ins in ``tests/unit/test_e2e.py`` follow these
values, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

IMAGE_RETURNED_STATUS = "queued"
"""The status on the image openstacksdk's ``create_image(filename=..., wait=True)`` returns."""
IMAGE_READ_BACK_STATUSES = ("active",)
"""The statuses ``get_image`` then reports, in order, repeats collapsed."""
