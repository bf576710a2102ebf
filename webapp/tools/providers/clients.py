"""The provider clients of one process: one HTTP client and one set of rate limits, shared by
every run, and each provider's client built once, on first use. `aclose()` ends them."""

from __future__ import annotations

import httpx

from webapp.settings import Settings
from webapp.tools.providers.google_places import GooglePlacesClient
from webapp.tools.providers.http import AnswerCache, ProviderHttp, RateLimits, new_client
from webapp.tools.providers.hunter import HunterClient
from webapp.tools.providers.mx import MailServers
from webapp.tools.providers.osm import OsmClient
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts
from webapp.tools.providers.website import WebsiteClient


class ProviderClients:
    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        cache: AnswerCache | None = None,
        timeouts: CallTimeouts | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        self.cache = cache
        self.timeouts = timeouts or DOCUMENTED  # how long each kind of call may wait
        self.limits = RateLimits(share=1 / settings.workers)  # the workers split each limit
        self._http: ProviderHttp | None = None
        self._google: dict[str, GooglePlacesClient] = {}
        self._hunter: dict[str, HunterClient] = {}
        self._osm: OsmClient | None = None
        self._website: WebsiteClient | None = None
        self.mail_servers = MailServers(enabled=settings.mx_check == "on")

    @property
    def http(self) -> ProviderHttp:
        if self._http is None:
            self._client = self._client or new_client(self.settings.contact)
            self._http = ProviderHttp(
                self._client, self.limits, cache=self.cache, cache_ttl_s=self.settings.cache_ttl_s
            )
        return self._http

    def google(self, api_key: str) -> GooglePlacesClient:
        if api_key not in self._google:
            self._google[api_key] = GooglePlacesClient(
                self.http,
                api_key=api_key,
                base_url=self.settings.google_places_url,
                timeouts=self.timeouts,
            )
        return self._google[api_key]

    def hunter(self, api_key: str) -> HunterClient:
        if api_key not in self._hunter:
            self._hunter[api_key] = HunterClient(
                self.http,
                api_key=api_key,
                base_url=self.settings.hunter_url,
                timeouts=self.timeouts,
            )
        return self._hunter[api_key]

    def osm(self) -> OsmClient:
        """One OpenStreetMap client per process: its geocode cache and 1-per-second
        Nominatim limit are for the whole application, as the usage policy asks."""
        if self._osm is None:
            self._osm = OsmClient(
                self.http,
                nominatim_url=self.settings.nominatim_url,
                overpass_url=self.settings.overpass_url,
                timeouts=self.timeouts,
                sleep=self.limits.sleep,
            )
        return self._osm

    def website(self) -> WebsiteClient:
        """One crawler per process: its per-host pacing and the hosts that refused it hold for
        every run."""
        if self._website is None:
            self._website = WebsiteClient(
                self.http, limits=self.limits, timeouts=self.timeouts, sleep=self.limits.sleep
            )
        return self._website

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
