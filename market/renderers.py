"""The browsable API's renderer (its own module: DRF imports it while its views module loads)."""

from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API under the marketplace's name, with a way home and Korean fonts."""

    template = "market/browsable_api.html"
