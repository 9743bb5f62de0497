"""The test suite's settings: production's, with a fast password hasher.

PBKDF2 at its production cost takes about 2 s a hash on our 2-core machines; every
persona fixture and login pays it, which made the suite 10 to 20 minutes long (as
pretix's test settings, MD5 here is only ever used for throwaway test passwords).
"""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
