"""The pages speak Korean from the compiled catalogues (``<app>/locale``)."""

from tests.pages.support import compiled_messages  # noqa: F401 (a fixture, used by name)
