"""Argon2id with its cost read from settings at hashing time, so deployments can tune it
(PINGTAI_ARGON2_MEMORY_KIB, PINGTAI_ARGON2_TIME_COST) and the test suite can make it cheap."""

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class TunableArgon2PasswordHasher(Argon2PasswordHasher):
    # Django's hasher reads these as class attributes; properties read the settings each time.
    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return settings.PINGTAI_ARGON2_MEMORY_KIB

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return settings.PINGTAI_ARGON2_TIME_COST
