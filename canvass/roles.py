"""The roles of canvass's accounts and what each may do: the one owner of role names.

An uploader sends photos; a reviewer decides review items; a certifier signs off the
counties (or the state) it is given; an administrator may do all of it, manages accounts
and alone reopens what is certified. The web's route guards, its menu, the account store
and the sign-off all read these.
"""

from __future__ import annotations

UPLOADER, REVIEWER, CERTIFIER, ADMIN = "uploader", "reviewer", "certifier", "admin"
ROLES: tuple[str, ...] = (UPLOADER, REVIEWER, CERTIFIER, ADMIN)

EVERYONE = ROLES
UPLOADERS = (UPLOADER, ADMIN)
REVIEWERS = (REVIEWER, ADMIN)
CERTIFIERS = (CERTIFIER, ADMIN)
ADMINS = (ADMIN,)
SEE_PHOTOS = (REVIEWER, CERTIFIER, ADMIN)
"""Who may open original photos and crops (not uploaders: they see their own read-back)."""
