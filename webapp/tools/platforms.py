"""Websites that are not a business's own domain: social networks, link pages, listings and
site builders' shared hosts. Hunter's Domain Search of such a domain returns the platform's
staff, not the business's (providers.md §0.1), so it is never searched. Kept here as data."""

from __future__ import annotations

# A host is a platform when it is one of these or a subdomain of one (joes.wixsite.com).
PLATFORM_DOMAINS: frozenset[str] = frozenset(
    """
    facebook.com fb.com fb.me instagram.com twitter.com x.com tiktok.com
    youtube.com youtu.be linkedin.com pinterest.com snapchat.com threads.net whatsapp.com wa.me
    linktr.ee linktree.com beacons.ai bio.link lnk.bio carrd.co taplink.cc msha.ke
    wixsite.com wix.com editorx.io squarespace.com square.site godaddysites.com
    business.site sites.google.com blogspot.com wordpress.com weebly.com jimdosite.com
    jimdo.com webnode.page webnode.com site123.me strikingly.com mystrikingly.com
    ueniweb.com yolasite.com hubspotpagebuilder.com myshopify.com bigcartel.com etsy.com
    ebay.com ebay.co.uk amazon.com amazon.co.uk notion.site github.io netlify.app vercel.app
    google.com goo.gl g.page bit.ly tinyurl.com
    yelp.com yelp.co.uk tripadvisor.com tripadvisor.co.uk yell.com checkatrade.com
    trustatrader.com mybuilder.com ratedpeople.com bark.com houzz.com houzz.co.uk
    thumbtack.com angi.com nextdoor.com treatwell.co.uk booksy.com fresha.com
    opentable.com opentable.co.uk resy.com deliveroo.co.uk just-eat.co.uk ubereats.com
    doordash.com grubhub.com toasttab.com rightmove.co.uk zoopla.co.uk
    """.split()
)


def platform_of(host: str | None) -> str | None:
    """The platform a host belongs to ("facebook.com" for "m.facebook.com"), or None when the
    host is (as far as we know) the business's own."""
    if not host:
        return None
    host = host.lower().rstrip(".")
    labels = host.split(".")
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if candidate in PLATFORM_DOMAINS:
            return candidate
    return None
