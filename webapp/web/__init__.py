"""The web dashboard: pages, live streams and the JSON API (`create_app`)."""

from webapp.web.app import create_app

__all__ = ["create_app"]
